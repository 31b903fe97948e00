internal import CLibXML2

/// A problem as libxml2's HTML parser reports it.
struct ParserMessage: Sendable {
    let code: Int
    let line: Int
    /// libxml2's column, 1-based, in characters of the parsed buffer's line.
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

    /// Initializes libxml2 once, before any parse on any thread.
    static func prepare() { _ = initialized }

    /// Hands each message to the caller while one parse runs; reached from the C callback through its context
    /// pointer.
    private final class Receiver {
        let receive: (ParserMessage) -> Void
        init(_ receive: @escaping (ParserMessage) -> Void) { self.receive = receive }
    }

    /// Parses `bytes` as HTML, handing each of libxml2's messages to `receive` as it is reported (nothing is
    /// kept, so a parse reporting a million problems holds none of them); returns whether it built a document.
    /// - Parameter treeless: parse without building the document tree (the checks' mode); `false` parses as
    ///   `htmlReadMemory` does, the baseline the checks' cost is measured against.
    @discardableResult
    static func parse(_ bytes: [UInt8], treeless: Bool = true, _ receive: (ParserMessage) -> Void) -> Bool {
        guard !bytes.isEmpty else { return false }
        return withoutActuallyEscaping(receive) { receive in
            parse(bytes, treeless: treeless, receiver: Receiver(receive))
        }
    }

    private static func parse(_ bytes: [UInt8], treeless: Bool, receiver: Receiver) -> Bool {
        _ = initialized
        let context = Unmanaged.passRetained(receiver)
        defer { context.release() }
        let handler: xmlStructuredErrorFunc = { userData, error in
            guard let userData, let error else { return }
            let receiver = Unmanaged<Receiver>.fromOpaque(userData).takeUnretainedValue()
            let e = error.pointee
            var message = e.message.map { String(cString: $0) } ?? "parse error"
            while message.last == "\n" { message.removeLast() }
            receiver.receive(ParserMessage(code: Int(e.code), line: Int(e.line), column: Int(e.int2),
                                           message: message, name: e.str1.map { String(cString: $0) }))
        }
        xmlSetStructuredErrorFunc(context.toOpaque(), handler)
        defer { xmlSetStructuredErrorFunc(nil, nil) }
        let options = Int32(HTML_PARSE_NONET.rawValue | HTML_PARSE_NOWARNING.rawValue)
        var document: htmlDocPtr?
        if treeless {
            // No tree: the checks need libxml2's diagnostics only, and building nodes is most of its cost.
            guard let context = htmlNewParserCtxt() else { return false }
            if let sax = context.pointee.sax {
                sax.pointee.startDocument = nil
                sax.pointee.endDocument = nil
                sax.pointee.startElement = nil
                sax.pointee.endElement = nil
                sax.pointee.characters = nil
                sax.pointee.ignorableWhitespace = nil
                sax.pointee.cdataBlock = nil
                sax.pointee.comment = nil
                sax.pointee.processingInstruction = nil
                sax.pointee.internalSubset = nil
                sax.pointee.reference = nil
            }
            document = bytes.withUnsafeBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { chars in
                    htmlCtxtReadMemory(context, chars, Int32(buffer.count), nil, "UTF-8", options)
                }
            }
            htmlFreeParserCtxt(context)
        } else {
            document = bytes.withUnsafeBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { chars in
                    htmlReadMemory(chars, Int32(buffer.count), nil, "UTF-8", options)
                }
            }
        }
        if let document { xmlFreeDoc(document) }
        return document != nil
    }
}
