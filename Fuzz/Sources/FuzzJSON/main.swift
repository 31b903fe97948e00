import Liquid

/// Bytes from the input read as JSON (as request bodies are, duplicate keys refused, and as stored traits are),
/// and what parses written out and read again: it must read back the same.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: bytes, count: count))
    _ = try? JSON.parse(bytes: input, rejectingDuplicateKeys: true)
    if let value = try? JSON.parse(bytes: input) {
        let text = JSON.serialize(value)
        guard let again = try? JSON.parse(text), JSON.serialize(again) == text else {
            fatalError("JSON written out does not read back the same: \(text)")
        }
    }
    return 0
}
