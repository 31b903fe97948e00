import Foundation
import Liquid

/// A template from the input, parsed in both error modes and rendered with autoescape and the limits a server
/// render has (a small work budget and a deadline, so a slow input is a finding only if the limits fail).
let environment = Environment(loader: DictionaryLoader(["p": "{{ x | upcase }}{% for i in items %}{{ i }}{% endfor %}"]))
let data: Value = .object(LiquidObject([
    ("user", .object(LiquidObject([("name", "<Ada>"), ("age", 36), ("tags", .array(["a", "b", "<c>"])), ("score", .double(2.5))]))),
    ("items", .array([1, 2, 3, "x", .null])), ("x", "<b>"), ("empty", .array([])),
]))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let source = String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    for mode in [ErrorMode.strict, .lax] {
        guard let template = try? environment.parse(source, name: "fuzz", errorMode: mode) else { continue }
        var options = RenderOptions()
        options.autoescape = mode == .strict
        options.limits.maxWork = 2_000_000
        options.limits.maxOutputBytes = 1 << 20
        options.limits.maxStringBytes = 1 << 20
        options.limits.maxAssignedBytes = 4 << 20
        options.deadline = .now + .seconds(2)
        _ = try? template.render(data, options: options)
    }
    return 0
}
