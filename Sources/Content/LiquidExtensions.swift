import Liquid

/// Filters and tags a content set's templates may use besides Liquid's standard ones: what an application
/// embedding Stagecraft registers (a `money` filter in its currency, a `{% product_card %}` tag), given to the load
/// so `check`, previews and serving all know them.
///
/// ```swift
/// let money: Filter = { input, _, _ in .string(String(format: "£%.2f", Double(input.description) ?? 0)) }
/// let content = try DeliveryContent.load(directory: "templates", extensions: LiquidExtensions(filters: ["money": money]))
/// ```
public struct LiquidExtensions: Sendable {
    public var filters: FilterTable
    public var tags: [CustomTag]
    /// Which of `filters` give HTML ready to print (``Environment/htmlFilters``).
    public var htmlFilters: Set<String>

    public init(filters: FilterTable = FilterTable(), tags: [CustomTag] = [], htmlFilters: Set<String> = []) {
        self.filters = filters
        self.tags = tags
        self.htmlFilters = htmlFilters
    }

    /// These extensions with `other`'s added (`other` wins a name both have).
    public func merging(_ other: LiquidExtensions) -> LiquidExtensions {
        LiquidExtensions(filters: filters.merging(other.filters), tags: tags + other.tags,
                         htmlFilters: htmlFilters.union(other.htmlFilters))
    }
}
