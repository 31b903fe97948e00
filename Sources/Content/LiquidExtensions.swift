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
    public var filters: [String: Filter]
    public var tags: [CustomTag]

    public init(filters: [String: Filter] = [:], tags: [CustomTag] = []) {
        self.filters = filters
        self.tags = tags
    }
}
