import HTMLCheck

/// Bytes from the input checked as a block and as an email, as served HTML is.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: bytes, count: count))
    for channel in HTMLChannel.allCases {
        _ = HTMLValidator.validate(bytes: input, channel: channel)
    }
    _ = HTMLValidator.validate(bytes: input, channel: .web, allowsScript: true, direction: .rtl)
    return 0
}
