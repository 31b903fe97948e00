import Foundation
import Liquid
import Personalization

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

    /// A catalog in another language (`catalog.fr.csv` or `.json`): rows with an `id` of `catalog` and the fields
    /// that read differently in that language (`title`, `url`...), by id. An empty CSV cell is no translation (the
    /// field falls back), and the fields recommendations rank by are the catalog's own, so a file may not set them.
    static func readTranslation(_ text: String, json: Bool, catalog: Catalog, log: IssueLog) -> [String: LiquidObject] {
        var rows: [(line: Int, fields: LiquidObject)] = []
        if json {
            let root: Value
            do {
                root = try JSON.parse(text)
            } catch {
                log.error(line: 1, column: 1, "catalog JSON: \(error)")
                return [:]
            }
            guard let list = root.arrayValue ?? root.objectValue?["items"]?.arrayValue else {
                log.error(line: 1, column: 1, "a JSON catalog is a list of items, or an object with \"items\"")
                return [:]
            }
            for (i, raw) in list.enumerated() {
                guard case .object(let fields) = raw else {
                    log.error(line: 1, column: 1, "catalog item \(i + 1) is not an object")
                    continue
                }
                rows.append((fields["id"]?.stringValue.flatMap { lineOf("\"\($0)\"", in: text) } ?? 1, fields))
            }
        } else {
            let csv = CSV.rows(text)
            guard let header = csv.first?.fields, header.contains("id") else {
                log.error(line: 1, column: 1, "the CSV header needs an \"id\" column")
                return [:]
            }
            for row in csv.dropFirst() where !(row.fields.count == 1 && row.fields[0].isEmpty) {
                guard row.fields.count == header.count else {
                    log.error(line: row.line, column: 1, "this row has \(row.fields.count) fields; the header has \(header.count)")
                    continue
                }
                var fields = LiquidObject()
                for (name, raw) in zip(header, row.fields) where !raw.isEmpty { fields[name] = .string(raw) }
                rows.append((row.line, fields))
            }
        }
        var out: [String: LiquidObject] = [:]
        var reported: Set<String> = []
        for (line, fields) in rows {
            let id: String? = switch fields["id"] {
            case .string(let s)?: s
            case .int(let i)?: String(i)
            default: nil
            }
            guard let id, !id.isEmpty else {
                log.error(line: line, column: 1, "a row needs the \"id\" of the catalog item it translates")
                continue
            }
            guard catalog.index(of: id) != nil else {
                var message = "no item \"\(id)\" in the catalog"
                if let near = Suggestion.closest(to: id, in: catalog.items.map(\.id)) { message += " (did you mean \"\(near)\"?)" }
                log.error(line: line, column: 1, message)
                continue
            }
            guard out[id] == nil else {
                log.error(line: line, column: 1, "item \"\(id)\" is translated twice")
                continue
            }
            var own = LiquidObject()
            for (key, value) in fields.pairs where key != "id" && !value.isNil {
                if Catalog.rankingFields.contains(key) {
                    if reported.insert(key).inserted {
                        log.error(line: line, column: 1, "\"\(key)\" cannot differ by language: recommendations choose items by the catalog's own; translate text fields such as title")
                    }
                } else {
                    own[key] = value
                }
            }
            out[id] = own
        }
        let missing = catalog.items.lazy.map(\.id).filter { out[$0] == nil }
        if let first = missing.first {
            let count = missing.count
            let named = missing.prefix(3).map { "\"\($0)\"" }.joined(separator: ", ")
            log.warning(line: 1, column: 1, count == 1 ? "item \"\(first)\" is not translated here; its readers get the catalog's own text"
                        : "\(count) items are not translated here (\(named)\(count > 3 ? "..." : "")); their readers get the catalog's own text")
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
