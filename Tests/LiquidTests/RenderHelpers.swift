@testable import Liquid

/// Parses and renders `source` in a fresh environment; partials come from `partials`.
func render(_ source: String, _ data: Value = [:], partials: [String: String] = [:],
            options: RenderOptions = RenderOptions(), mode: ErrorMode = .strict) throws(LiquidError) -> String
{
    let environment = Environment(loader: DictionaryLoader(partials), errorMode: mode)
    return try environment.parse(source, name: "t.liquid").render(data, options: options)
}

/// The error `source` raises when parsed and rendered, or `nil` when it renders.
func renderError(_ source: String, _ data: Value = [:], partials: [String: String] = [:],
                 options: RenderOptions = RenderOptions()) -> LiquidError?
{
    do {
        _ = try render(source, data, partials: partials, options: options)
        return nil
    } catch {
        return error
    }
}
