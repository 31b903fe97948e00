/// A tag as written in the source.
struct ScannedTag {
    let name: String
    let isEnd: Bool
    let selfClosing: Bool
    /// Attributes in order: lowercased name, value (nil when bare), byte offset of the name.
    let attributes: [(name: String, value: String?, offset: Int)]
    /// Byte offset of the `<`.
    let offset: Int
    /// Byte offset just past the `>`.
    let end: Int
}

/// Splits HTML source into tags as written, skipping text, comments, doctypes and the content of raw-text
/// elements (`script`, `style`, `textarea`, `title`). One pass over the bytes; no tree is built.
struct HTMLScanner {
    static let rawText: Set<String> = ["script", "style", "textarea", "title"]
    /// Attributes whose values the checks read; the others are kept as present, with an empty value.
    static let valuedAttributes: Set<String> = ["id", "href", "src", "action", "formaction", "background", "poster",
                                                "xlink:href", "type", "data", "dir"]

    static func tags(in b: [UInt8]) -> [ScannedTag] {
        var tags: [ScannedTag] = []
        var i = 0
        let n = b.count
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0C }
        func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= 97 && (c | 0x20) <= 122 }
        func lower(_ start: Int, _ end: Int) -> String {
            String(unsafeUninitializedCapacity: end - start) { out in
                for k in start..<end { out[k - start] = b[k] >= 65 && b[k] <= 90 ? b[k] + 32 : b[k] }
                return end - start
            }
        }
        func find(_ needle: [UInt8], from: Int, caseInsensitive: Bool = false) -> Int? {
            var j = from
            while j + needle.count <= n {
                var k = 0
                while k < needle.count {
                    let c = caseInsensitive && b[j + k] >= 65 && b[j + k] <= 90 ? b[j + k] + 32 : b[j + k]
                    if c != needle[k] { break }
                    k += 1
                }
                if k == needle.count { return j }
                j += 1
            }
            return nil
        }
        while i < n {
            guard b[i] == UInt8(ascii: "<"), i + 1 < n else {
                i += 1
                continue
            }
            let start = i
            let next = b[i + 1]
            if next == UInt8(ascii: "!") {
                if i + 3 < n && b[i + 2] == UInt8(ascii: "-") && b[i + 3] == UInt8(ascii: "-") {
                    i = (find(Array("-->".utf8), from: i + 4).map { $0 + 3 }) ?? n
                } else {
                    i = (find([UInt8(ascii: ">")], from: i + 2).map { $0 + 1 }) ?? n
                }
                continue
            }
            let isEnd = next == UInt8(ascii: "/")
            var j = isEnd ? i + 2 : i + 1
            guard j < n, isLetter(b[j]) else {
                i += 1
                continue
            }
            let nameStart = j
            while j < n && !isSpace(b[j]) && b[j] != UInt8(ascii: ">") && b[j] != UInt8(ascii: "/") { j += 1 }
            let name = lower(nameStart, j)
            var attributes: [(name: String, value: String?, offset: Int)] = []
            var selfClosing = false
            while j < n && b[j] != UInt8(ascii: ">") {
                if isSpace(b[j]) {
                    j += 1
                    continue
                }
                if b[j] == UInt8(ascii: "/") {
                    selfClosing = j + 1 < n && b[j + 1] == UInt8(ascii: ">")
                    j += 1
                    continue
                }
                let attrStart = j
                while j < n && !isSpace(b[j]) && b[j] != UInt8(ascii: "=") && b[j] != UInt8(ascii: ">")
                    && !(b[j] == UInt8(ascii: "/") && j + 1 < n && b[j + 1] == UInt8(ascii: ">")) { j += 1 }
                let attrName = lower(attrStart, j)
                let wanted = Self.valuedAttributes.contains(attrName)
                var k = j
                while k < n && isSpace(b[k]) { k += 1 }
                var value: String?
                if k < n && b[k] == UInt8(ascii: "=") {
                    k += 1
                    while k < n && isSpace(b[k]) { k += 1 }
                    if k < n && (b[k] == UInt8(ascii: "\"") || b[k] == UInt8(ascii: "'")) {
                        let quote = b[k]
                        let valueStart = k + 1
                        var e = valueStart
                        while e < n && b[e] != quote { e += 1 }
                        value = wanted ? String(decoding: b[valueStart..<e], as: UTF8.self) : ""
                        k = min(e + 1, n)
                    } else {
                        let valueStart = k
                        while k < n && !isSpace(b[k]) && b[k] != UInt8(ascii: ">") { k += 1 }
                        value = wanted ? String(decoding: b[valueStart..<k], as: UTF8.self) : ""
                    }
                    j = k
                }
                if !attrName.isEmpty { attributes.append((attrName, value, attrStart)) }
            }
            i = min(j + 1, n)
            tags.append(ScannedTag(name: name, isEnd: isEnd, selfClosing: selfClosing, attributes: attributes, offset: start, end: i))
            if !isEnd && rawText.contains(name) {
                let close = Array("</\(name)".utf8)
                i = find(close, from: i, caseInsensitive: true) ?? n
            }
        }
        return tags
    }
}
