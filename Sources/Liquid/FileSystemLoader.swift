import Foundation

/// Partials read from a folder: `{% render 'partials/header' %}` reads `ROOT/partials/header.liquid`.
///
/// Names may not leave the folder: absolute paths and `..` segments are refused.
public struct FileSystemLoader: TemplateLoader {
    public let root: URL
    public let fileExtension: String

    public init(root: String, fileExtension: String = "liquid") {
        self.root = URL(fileURLWithPath: root, isDirectory: true)
        self.fileExtension = fileExtension
    }

    public func source(named name: String) throws(LiquidError) -> String {
        let segments = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !name.isEmpty, !name.hasPrefix("/"), !segments.contains(where: { $0 == ".." || $0.isEmpty }) else {
            throw LiquidError(.fileSystem, "Illegal template name '\(name)'")
        }
        var url = root.appendingPathComponent(name)
        if url.pathExtension != fileExtension { url.appendPathExtension(fileExtension) }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw LiquidError(.fileSystem, "No such template '\(name)' (looked for \(url.path))")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw LiquidError(.fileSystem, "Template '\(name)' is not valid UTF-8")
        }
        return text
    }
}
