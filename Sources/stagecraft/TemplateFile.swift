import Liquid

/// A template file's Liquid body, without the YAML front matter message templates start with.
struct TemplateFile {
    let path: String
    let text: String
    /// Byte offset where the Liquid body starts (after the front matter).
    let bodyOffset: Int

    init(path: String, text: String) {
        self.path = path
        self.text = text
        let bytes = Array(text.utf8)
        var offset = 0
        if bytes.starts(with: Array("---\n".utf8)) || bytes.starts(with: Array("---\r\n".utf8)) {
            var lineStart = bytes[3] == UInt8(ascii: "\r") ? 5 : 4
            while lineStart < bytes.count {
                var lineEnd = lineStart
                while lineEnd < bytes.count && bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                let line = String(decoding: bytes[lineStart..<lineEnd], as: UTF8.self)
                if line == "---" || line == "---\r" {
                    offset = min(lineEnd + 1, bytes.count)
                    break
                }
                lineStart = lineEnd + 1
            }
        }
        bodyOffset = offset
    }

    var body: String { String(decoding: Array(text.utf8)[bodyOffset...], as: UTF8.self) }

    /// Parses the body, reporting errors against the whole file so lines and columns match the editor.
    func parse(in environment: Environment, errorMode: ErrorMode) throws(LiquidError) -> Template {
        do {
            return try environment.parse(body, name: path, errorMode: errorMode)
        } catch {
            var located = error
            if located.source != nil, located.templateName == path {
                located.offset = located.offset.map { $0 + bodyOffset }
                located.source = text
            }
            throw located
        }
    }
}
