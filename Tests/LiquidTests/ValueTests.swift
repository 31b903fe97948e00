import Testing
@testable import Liquid

@Suite struct ValueTests {
    @Test(arguments: [
        (1.0, "1.0"), (0.1, "0.1"), (1e16, "1.0e+16"), (1e15, "1000000000000000.0"), (0.0001, "0.0001"),
        (0.00001, "1.0e-05"), (-2.5, "-2.5"), (123456.789, "123456.789"), (1.5e-7, "1.5e-07"), (2.0e20, "2.0e+20"),
    ])
    func floatsPrintAsRuby(value: Double, expected: String) {
        #expect(formatRubyFloat(value) == expected)
    }

    @Test func jsonKeepsKeyOrder() throws {
        let v = try JSON.parse(#"{"b": 1, "a": [true, null, 2.5, "x\u00e9"], "c": {"z": 1, "y": 2}}"#)
        #expect(v.objectValue?.keys == ["b", "a", "c"])
        #expect(JSON.serialize(v) == #"{"b":1,"a":[true,null,2.5,"xé"],"c":{"z":1,"y":2}}"#)
    }

    @Test(arguments: ["{", "[1,]", "\"abc", "01x", "{\"a\" 1}", "[\"\\ud800\"]"])
    func badJSONIsAnError(text: String) {
        #expect(throws: JSONError.self) { try JSON.parse(text) }
    }
}
