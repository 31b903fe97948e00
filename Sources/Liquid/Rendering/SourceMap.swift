/// A template's source as nodes keep it, to say where a piece of output came from: shared by every block body the
/// template's parse makes.
final class SourceFile: Sendable {
    let name: String?
    let source: String
    let firstLine: Int

    init(name: String?, source: String, firstLine: Int) {
        self.name = name
        self.source = source
        self.firstLine = firstLine
    }
}

/// Where in its template (the message itself, a partial or a layout) a piece of a render's output was written.
public struct TemplateOrigin: Sendable, Equatable, CustomStringConvertible {
    /// The template's name (`emails/welcome`, `partials/button`, `layouts/email`), nil for an unnamed one.
    public let template: String?
    /// Line in the template's file (front matter counted) and column in characters.
    public let line: Int
    public let column: Int

    public var description: String { "\(template ?? "template"):\(line):\(column)" }
}

/// Which node of which template wrote each stretch of a render's output: made by ``Template/renderMapped(_:options:)``,
/// for reports that point at the template line behind a problem found in the output (a bad tag the HTML checker
/// found, say), through partials and layouts.
public struct SourceMap: Sendable {
    struct Mark: Sendable {
        /// Where in the output the node's writing starts.
        let output: Int
        let file: SourceFile
        /// The node's byte offset in its template's source.
        let offset: Int
        /// Literal text: its output is its source byte for byte, so a place inside it maps exactly.
        let isText: Bool
    }

    let marks: [Mark]
    let output: [UInt8]

    /// Where the output byte at `offset` was written from.
    public func origin(ofByte offset: Int) -> TemplateOrigin? {
        // The last mark at or before the byte: nested bodies mark after the tag that holds them, so the innermost wins.
        var low = 0, high = marks.count
        while low < high {
            let mid = (low + high) / 2
            if marks[mid].output <= offset { low = mid + 1 } else { high = mid }
        }
        guard low > 0 else { return nil }
        let mark = marks[low - 1]
        let sourceOffset = mark.isText ? mark.offset + (offset - mark.output) : mark.offset
        let position = SourcePosition(offset: sourceOffset, in: mark.file.source, firstLine: mark.file.firstLine)
        return TemplateOrigin(template: mark.file.name, line: position.line, column: position.column)
    }

    /// Where the output at `line` and `column` (1-based; columns in characters, as the HTML checker counts them)
    /// was written from.
    public func origin(line: Int, column: Int) -> TemplateOrigin? {
        var currentLine = 1
        var i = 0
        while currentLine < line, i < output.count {
            if output[i] == 0x0A { currentLine += 1 }
            i += 1
        }
        guard currentLine == line else { return nil }
        var characters = 1
        while characters < column, i < output.count, output[i] != 0x0A {
            i += 1
            while i < output.count, output[i] & 0xC0 == 0x80 { i += 1 }
            characters += 1
        }
        return origin(ofByte: min(i, max(output.count - 1, 0)))
    }
}

/// Collects the marks while a mapped render runs.
final class SourceMapBuilder {
    var marks: [SourceMap.Mark] = []

    @inline(__always)
    func mark(output: Int, file: SourceFile, offset: Int, isText: Bool) {
        marks.append(SourceMap.Mark(output: output, file: file, offset: offset, isText: isText))
    }
}
