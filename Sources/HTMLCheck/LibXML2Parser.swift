internal import CLibXML2

/// A problem as libxml2's HTML parser reports it.
struct ParserMessage: Sendable {
    let code: Int
    let line: Int
    /// libxml2's column, 1-based, in bytes of the parsed buffer's line.
    let column: Int
    let message: String
    /// The name libxml2 gives with the message (a tag or attribute), when it gives one.
    let name: String?
}

/// The one place that touches libxml2's C API: parse a buffer with the HTML parser and collect what it
/// reports, on the calling thread.
///
/// This libxml2 keeps its structured error handler per thread, so the handler is set just before the parse
/// and reset just after, with no suspension in between.
enum LibXML2Parser {
    private static let initialized: Bool = {
        xmlInitParser()
        return true
    }()

    /// Collects messages while one parse runs; reached from the C callback through its context pointer.
    private final class Collector {
        var messages: [ParserMessage] = []
    }

    /// Parses `bytes` as HTML and returns libxml2's messages, or `nil` when it builds no document at all
    /// (libxml2 returns no tree for empty input).
    static func parse(_ bytes: [UInt8]) -> (messages: [ParserMessage], builtDocument: Bool) {
        _ = initialized
        let collector = Collector()
        let context = Unmanaged.passRetained(collector)
        defer { context.release() }
        let handler: xmlStructuredErrorFunc = { userData, error in
            guard let userData, let error else { return }
            let collector = Unmanaged<Collector>.fromOpaque(userData).takeUnretainedValue()
            let e = error.pointee
            var message = e.message.map { String(cString: $0) } ?? "parse error"
            while message.last == "\n" { message.removeLast() }
            collector.messages.append(ParserMessage(code: Int(e.code), line: Int(e.line), column: Int(e.int2),
                                                    message: message, name: e.str1.map { String(cString: $0) }))
        }
        xmlSetStructuredErrorFunc(context.toOpaque(), handler)
        defer { xmlSetStructuredErrorFunc(nil, nil) }
        let options = Int32(HTML_PARSE_NONET.rawValue | HTML_PARSE_NOWARNING.rawValue)
        let document: htmlDocPtr? = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { chars in
                htmlReadMemory(chars, Int32(buffer.count), nil, "UTF-8", options)
            }
        }
        if let document { xmlFreeDoc(document) }
        return (collector.messages, document != nil)
    }
}
