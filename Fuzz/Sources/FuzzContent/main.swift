import Content
import Delivery
import Foundation

/// A content folder from the input: its parts (split at NUL bytes) become a campaign template with front matter,
/// a catalog CSV, a locale file and a stages file, loaded as a reload loads them. A broken folder is refused with
/// its errors; nothing may crash or hang.
let names = ["banners/fuzz.liquid", "catalog.csv", "locales/fr.json", "stages.yml", "emails/fuzz.liquid", "locales.yml"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let parts = UnsafeBufferPointer(start: bytes, count: count).split(separator: 0, omittingEmptySubsequences: false)
    var files: [String: String] = [:]
    for (name, part) in zip(names, parts) { files[name] = String(decoding: part, as: UTF8.self) }
    _ = try? DeliveryContent.load(files: files, loadedAt: Date(timeIntervalSince1970: 1_795_000_000))
    return 0
}
