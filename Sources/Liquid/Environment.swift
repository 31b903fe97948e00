import Synchronization

/// Parses a tag's markup (and, for blocks, its body) into a node.
typealias TagParse = @Sendable (TagToken, TemplateParser) throws(LiquidError) -> any Node

/// The tags, filters and partial loader that templates are parsed and rendered with.
///
/// Create one per content set and share it: parsed partials are cached here, so a partial is
/// parsed once however many renders include it.
///
/// ```swift
/// let env = Environment(loader: FileSystemLoader(root: "templates"))
/// let template = try env.parse("Hello {{ user.name | upcase }}")
/// print(try template.render(["user": ["name": "Ada"]]))
/// ```
public final class Environment: Sendable {
    let tags: [String: TagParse]
    /// The filters templates may call, by name.
    public let filters: FilterTable
    /// The same filters' boxes, for the parser, each knowing whether it gives HTML ready to print.
    let filterTable: [String: FilterBox]
    public let loader: (any TemplateLoader)?
    /// The parse strictness used when `parse` is not given one.
    public let errorMode: ErrorMode
    /// Added filters whose result is HTML ready to print (they escape what they insert when the render escapes):
    /// autoescape leaves their output alone, as it does `escape`'s.
    public let htmlFilters: Set<String>
    private let partials = Mutex<[String: ParsedTemplate]>([:])

    /// - Parameters:
    ///   - loader: where `render` and `include` find partials; none means partials are an error.
    ///   - errorMode: strict (the default) or Shopify's lax.
    ///   - extraFilters: filters added to (or replacing) the standard ones, each a ``Filter`` function as the standard
    ///     ones are written.
    ///   - extraTags: tags added to (or replacing) the standard ones.
    ///   - htmlFilters: the added filters whose result autoescape prints as it is (see ``htmlFilters``).
    ///
    /// ```swift
    /// let env = Environment(extraFilters: ["shout": { input, _, _ in .string(input.description.uppercased() + "!") }])
    /// try env.parse("{{ 'hi' | shout }}").render()   // "HI!"
    /// ```
    public init(loader: (any TemplateLoader)? = nil, errorMode: ErrorMode = .strict, extraFilters: FilterTable = FilterTable(),
                extraTags: [CustomTag] = [], htmlFilters: Set<String> = [])
    {
        self.loader = loader
        self.errorMode = errorMode
        self.htmlFilters = htmlFilters.intersection(extraFilters.names)
        var tags = StandardTags.all.merging(LayoutTags.all) { standard, _ in standard }
        for tag in extraTags { tags[tag.name] = tag.parse }
        self.tags = tags
        // The standard filters and the added ones are the same kind of function, boxed the same way.
        self.filters = StandardFilters.all.merging(extraFilters)
        let html = self.htmlFilters
        self.filterTable = Dictionary(uniqueKeysWithValues: filters.boxes.map { name, box in
            (name, FilterBox(box.function, writer: box.writer, marksHTML: html.contains(name) || FilteredExpression.escapingFilters.contains(name)))
        })
    }

    /// Parses `source` into a template that can be rendered many times, from many threads.
    /// - Parameter firstLine: the line of its file that `source` starts on (after front matter, say), so errors
    ///   name lines of the file.
    /// - Throws: ``LiquidError`` of kind `syntax`, located in `source`.
    public func parse(_ source: String, name: String? = nil, errorMode: ErrorMode? = nil,
                      limits: ResourceLimits = ResourceLimits(), firstLine: Int = 1) throws(LiquidError) -> Template
    {
        let parsed = try ParsedTemplate(source: source, name: name, environment: self,
                                        errorMode: errorMode ?? self.errorMode, limits: limits, firstLine: firstLine)
        return Template(parsed: parsed, environment: self)
    }

    /// A partial by name, parsed once and cached.
    func partial(_ name: String, limits: ResourceLimits) throws(LiquidError) -> ParsedTemplate {
        if let cached = partials.withLock({ $0[name] }) { return cached }
        guard let loader else {
            throw LiquidError(.fileSystem, "This environment has no template loader, so '\(name)' cannot be loaded")
        }
        let source = try loader.source(named: name)
        let parsed = try ParsedTemplate(source: source, name: name, environment: self, errorMode: errorMode, limits: limits)
        partials.withLock { $0[name] = parsed }
        return parsed
    }
}

/// A template's node tree with the source it came from.
struct ParsedTemplate: Sendable {
    let name: String?
    let source: String
    let firstLine: Int
    let body: BlockBody

    init(source: String, name: String?, environment: Environment, errorMode: ErrorMode, limits: ResourceLimits,
         firstLine: Int = 1) throws(LiquidError)
    {
        self.name = name
        self.source = source
        self.firstLine = firstLine
        guard source.utf8.count <= limits.maxTemplateBytes else {
            throw LiquidError(.resourceLimit, "template is \(source.utf8.count) bytes, more than the limit of \(limits.maxTemplateBytes)")
                .attributed(to: name, source: "")
        }
        var copy = source
        let result: Result<BlockBody, LiquidError> = copy.withUTF8 { buffer in
            let parser = TemplateParser(bytes: buffer, environment: environment, errorMode: errorMode)
            parser.file = SourceFile(name: name, source: source, firstLine: firstLine)
            do throws(LiquidError) {
                return .success(try parser.parseDocument())
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let body):
            // A page that extends a layout says so first: only blank text and comments may come before.
            if let i = body.nodes.firstIndex(where: { $0 is ExtendsTag }),
               body.nodes[..<i].contains(where: { !(($0 as? TextNode)?.isBlank ?? false) && !($0 is CommentTag) })
            {
                let offset = (body.nodes[i] as! ExtendsTag).offset
                throw LiquidError.syntax("'extends' must be the template's first tag", at: offset)
                    .attributed(to: name, source: source, firstLine: firstLine)
            }
            self.body = body
        case .failure(let error): throw error.attributed(to: name, source: source, firstLine: firstLine)
        }
    }

    func render(_ context: Context, _ out: inout OutputBuffer) throws(LiquidError) {
        do throws(LiquidError) {
            try body.render(context, &out)
        } catch {
            throw error.attributed(to: name, source: source, firstLine: firstLine)
        }
    }
}

/// Where `render` and `include` find partials by name.
public protocol TemplateLoader: Sendable {
    /// The source of the partial `name`, as written in the tag.
    /// - Throws: ``LiquidError`` of kind `fileSystem` when there is no such partial.
    func source(named name: String) throws(LiquidError) -> String
}

/// Partials held in memory by name.
public struct DictionaryLoader: TemplateLoader {
    public let templates: [String: String]

    public init(_ templates: [String: String]) { self.templates = templates }

    public func source(named name: String) throws(LiquidError) -> String {
        guard let s = templates[name] else { throw LiquidError(.fileSystem, "No such template '\(name)'") }
        return s
    }
}
