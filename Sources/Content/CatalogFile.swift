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
