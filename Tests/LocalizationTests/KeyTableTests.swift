import Localization
import Testing

/// The table `t` looks keys up in: it must answer exactly as a dictionary of the same entries does.
@Suite struct KeyTableTests {
    @Test func findsWhatADictionaryFindsAndNothingElse() {
        // Keys of every length around the eight-byte words the hash reads, non-ASCII ones, and keys that differ only
        // by trailing NUL bytes or by one byte at the end of a word.
        var entries: [String: Int] = [:]
        let stems = ["offer.heading", "cart.items", "a", "", "checkout.summary.total_html", "émoji.🎉", "ключ", "مفتاح", "键.名"]
        for (i, stem) in stems.enumerated() {
            for suffix in ["", "\u{0}", "\u{0}\u{0}", ".x", "12345678", "1234567", "123456789"] { entries[stem + suffix] = i }
        }
        for n in 0..<2000 { entries["section\(n % 37).key_\(n)"] = n }
        let table = KeyTable(entries.map { ($0.key, $0.value) })
        #expect(table.count == entries.count)
        for (key, value) in entries { #expect(table[key] == value, "\(key)") }
        for absent in ["offer.headin", "offer.heading ", "OFFER.HEADING", "section0.key_2000", "\u{0}\u{0}\u{0}", "ключи", "键"] {
            #expect(table[absent] == nil, "\(absent)")
        }
        // A key given twice keeps its last element, as a dictionary built the same way would.
        let twice = KeyTable([("k", 1), ("k", 2)])
        #expect(twice.count == 1 && twice["k"] == 2)
        #expect(KeyTable([(String, Int)]())["k"] == nil)
    }
}
