import Foundation
import Liquid

/// One thing that can be recommended: a product, an article, a feature. The named fields are what strategies use;
/// every field (named or not) is what templates and filters see.
public struct CatalogItem: Sendable {
    public let id: String
    public let category: String?
    public let tags: [String]
    public let price: Double?
    /// Units in stock; nil when not tracked.
    public let stock: Int?
    /// When it was added (`created_at`), for new arrivals.
    public let createdAt: Date?
    /// Demand over the last period (units sold or views, `popularity`) and over the one before
    /// (`popularity_previous`): popular ranks by the first, trending by the growth between them.
    public let popularity: Double
    public let previousPopularity: Double
    /// How many days one purchase lasts (`replenish_days`: razor blades 30, face cream 60).
    public let replenishDays: Double?
    /// Items bought with it or meant to go with it (`complements`), best first.
    public let complements: [String]
    /// The whole item as data.
    public let fields: LiquidObject

    /// Reads an item; the message says which field is wrong.
    public init(fields: LiquidObject) throws(CatalogError) {
        guard let id = fields["id"].flatMap(Self.text), !id.isEmpty else { throw CatalogError("an item needs an \"id\"") }
        self.id = id
        category = fields["category"].flatMap(Self.text)
        tags = try Self.list(fields["tags"], "tags", id)
        price = try Self.number(fields["price"], "price", id)
        stock = try Self.number(fields["stock"], "stock", id).map { Int($0) }
        if let raw = fields["created_at"], !raw.isNil {
            guard let text = raw.stringValue, let date = Timestamp.parse(text) ?? Self.day(text) else {
                throw CatalogError("item \"\(id)\": \"created_at\" must be a date (2026-11-01) or an ISO 8601 time")
            }
            createdAt = date
        } else {
            createdAt = nil
        }
        popularity = try Self.number(fields["popularity"], "popularity", id) ?? 0
        previousPopularity = try Self.number(fields["popularity_previous"], "popularity_previous", id) ?? 0
        replenishDays = try Self.number(fields["replenish_days"], "replenish_days", id)
        if let d = replenishDays, d <= 0 { throw CatalogError("item \"\(id)\": \"replenish_days\" must be above 0") }
        complements = try Self.list(fields["complements"], "complements", id)
        var normalized = fields
        normalized["id"] = .string(id)
        self.fields = normalized
    }

    private static func text(_ v: Value) -> String? {
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        default: return nil
        }
    }

    private static func number(_ v: Value?, _ key: String, _ id: String) throws(CatalogError) -> Double? {
        switch v {
        case nil, .null?: return nil
        case .int(let i)?: return Double(i)
        case .double(let d)? where d.isFinite: return d
        default: throw CatalogError("item \"\(id)\": \"\(key)\" must be a number")
        }
    }

    private static func list(_ v: Value?, _ key: String, _ id: String) throws(CatalogError) -> [String] {
        switch v {
        case nil, .null?: return []
        case .array(let items)?:
            var out: [String] = []
            for item in items {
                guard let s = text(item) else { throw CatalogError("item \"\(id)\": \"\(key)\" must be a list of names") }
                out.append(s)
            }
            return out
        default: throw CatalogError("item \"\(id)\": \"\(key)\" must be a list")
        }
    }

    /// `yyyy-MM-dd` as midnight UTC.
    static func day(_ text: String) -> Date? {
        guard case .localDate? = Schedule.bound(text) else { return nil }
        return Timestamp.parse(text + "T00:00:00Z")
    }
}

public struct CatalogError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The items recommendations choose from, indexed by id, category and tag.
public struct Catalog: Sendable {
    public let items: [CatalogItem]
    let position: [String: Int]
    /// Item positions per category and per tag, in catalog order.
    let byCategory: [String: [Int]]
    let byTag: [String: [Int]]

    /// - Throws: ``CatalogError`` on a repeated id.
    public init(items: [CatalogItem]) throws(CatalogError) {
        self.items = items
        var position: [String: Int] = [:]
        var byCategory: [String: [Int]] = [:]
        var byTag: [String: [Int]] = [:]
        for (i, item) in items.enumerated() {
            guard position.updateValue(i, forKey: item.id) == nil else { throw CatalogError("item id \"\(item.id)\" is used twice") }
            if let c = item.category { byCategory[c, default: []].append(i) }
            for tag in Set(item.tags) { byTag[tag, default: []].append(i) }
        }
        self.position = position
        self.byCategory = byCategory
        self.byTag = byTag
    }

    public subscript(id: String) -> CatalogItem? { position[id].map { items[$0] } }

    public var categories: [String] { byCategory.keys.sorted() }
}

/// Reading catalogs from files: a JSON list of objects (or `{"items": [...]}`), or CSV with a header row, where
/// numbers become numbers and `tags`/`complements` are split on `|`.
enum CatalogFile {
    static let listColumns: Set<String> = ["tags", "complements"]

    static func readJSON(_ text: String, log: IssueLog) -> [CatalogItem] {
        let root: Value
        do {
            root = try JSON.parse(text)
        } catch {
            log.error(line: 1, column: 1, "catalog JSON: \(error)")
            return []
        }
        let list: [Value]
        if case .array(let a) = root { list = a } else if let a = root.objectValue?["items"]?.arrayValue { list = a } else {
            log.error(line: 1, column: 1, "a JSON catalog is a list of items, or an object with \"items\"")
            return []
        }
        var out: [CatalogItem] = []
        for (i, raw) in list.enumerated() {
            guard case .object(let fields) = raw else {
                log.error(line: 1, column: 1, "catalog item \(i + 1) is not an object")
                continue
            }
            do {
                out.append(try CatalogItem(fields: fields))
            } catch {
                let line = fields["id"]?.stringValue.flatMap { lineOf("\"\($0)\"", in: text) } ?? 1
                log.error(line: line, column: 1, "catalog item \(i + 1): \(error.message)")
            }
        }
        return out
    }

    static func readCSV(_ text: String, log: IssueLog) -> [CatalogItem] {
        let rows = CSV.rows(text)
        guard let header = rows.first?.fields else {
            log.error(line: 1, column: 1, "the CSV catalog is empty; it needs a header row with \"id\"")
            return []
        }
        guard header.contains("id") else {
            log.error(line: 1, column: 1, "the CSV header needs an \"id\" column")
            return []
        }
        var out: [CatalogItem] = []
        for row in rows.dropFirst() where !(row.fields.count == 1 && row.fields[0].isEmpty) {
            guard row.fields.count == header.count else {
                log.error(line: row.line, column: 1, "this row has \(row.fields.count) fields; the header has \(header.count)")
                continue
            }
            var fields = LiquidObject()
            for (name, raw) in zip(header, row.fields) where !raw.isEmpty {
                if listColumns.contains(name) {
                    fields[name] = .array(raw.split(separator: "|").map { .string($0.trimmingCharacters(in: .whitespaces)) })
                } else if name != "id", let i = Int(raw) {
                    fields[name] = .int(i)
                } else if name != "id", let d = Double(raw), d.isFinite {
                    fields[name] = .double(d)
                } else {
                    fields[name] = .string(raw)
                }
            }
            do {
                out.append(try CatalogItem(fields: fields))
            } catch {
                log.error(line: row.line, column: 1, error.message)
            }
        }
        return out
    }

    private static func lineOf(_ needle: String, in text: String) -> Int? {
        guard let range = text.range(of: needle) else { return nil }
        return text[..<range.lowerBound].reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
    }
}

/// RFC 4180 CSV: quoted fields with doubled quotes and line breaks inside; each row with the line it starts on.
enum CSV {
    struct Row {
        var fields: [String]
        var line: Int
    }

    static func rows(_ text: String) -> [Row] {
        var rows: [Row] = []
        var fields: [String] = []
        var field = ""
        var quoted = false
        var line = 1
        var rowLine = 1
        var chars = Array(text.unicodeScalars)
        if chars.first == "\u{FEFF}" { chars.removeFirst() }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < chars.count, chars[i + 1] == "\"" {
                        field.unicodeScalars.append("\"")
                        i += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" && field.isEmpty {
                quoted = true
            } else if c == "," {
                fields.append(field)
                field = ""
            } else if c == "\n" || c == "\r" {
                if c == "\r", i + 1 < chars.count, chars[i + 1] == "\n" { i += 1 }
                fields.append(field)
                rows.append(Row(fields: fields, line: rowLine))
                fields = []
                field = ""
                line += 1
                rowLine = line
            } else {
                field.unicodeScalars.append(c)
            }
            i += 1
        }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            rows.append(Row(fields: fields, line: rowLine))
        }
        return rows
    }
}
