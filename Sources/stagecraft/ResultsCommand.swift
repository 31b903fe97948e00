import ArgumentParser
import Foundation
import Liquid
import Logging
import Personalization
import PostgresStorage
import SQLiteStorage
import StagecraftServer
import Storage

/// `stagecraft results CAMPAIGN`: a campaign's experiment results from the database the server writes, as the
/// API's `GET /v1/campaigns/{id}/results` gives them: a table, or the same JSON document.
struct ResultsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "results",
        abstract: "Print a campaign's experiment results: exposures per arm, each goal against the control, the split check."
    )

    @Argument(help: "The campaign's id.")
    var campaign: String

    @Option(name: .long, help: "The content folder (for the campaign's arms, weights and goals).")
    var templates = "templates"

    @Option(name: .long, help: "The database the server writes: a SQLite file path or postgres://user:password@host/db.")
    var database = ".stagecraft/stagecraft.sqlite"

    @Option(name: .long, help: "The first exposure day to include, yyyy-MM-dd (UTC).")
    var from: String?

    @Option(name: .long, help: "The last exposure day to include, yyyy-MM-dd (UTC).")
    var to: String?

    @Option(name: .long, help: "table or json.")
    var format = "table"

    func run() async throws {
        guard format == "table" || format == "json" else { throw ValidationError("--format is table or json, not \(format)") }
        func day(_ text: String?, _ name: String) throws -> Int? {
            guard let text else { return nil }
            guard let day = CampaignResults.day(text) else { throw ValidationError("--\(name) is a date, yyyy-MM-dd; not \(text)") }
            return day
        }
        let first = try day(from, "from")
        let last = try day(to, "to")
        var logger = Logger(label: "stagecraft")
        logger.logLevel = .error
        let content: ContentState
        do {
            content = try ContentState(directory: templates, logger: logger)
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(1)
        }
        let campaigns = content.current.content.campaigns
        guard let found = campaigns.first(where: { $0.id == campaign }) else {
            throw ValidationError("no campaign \"\(campaign)\" in \(templates); the campaigns are " + campaigns.map(\.id).sorted().joined(separator: ", "))
        }
        // Read only: what the server has attributed (it does so a moment after it keeps an event). Attributing here,
        // with this folder's goals, could drop events a goal of the server's content counts.
        let rollups: [Rollup]
        if database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") {
            let store = try PostgresStore(url: database, logger: logger, connections: 1)
            let id = campaign
            rollups = try await withThrowingTaskGroup(of: [Rollup]?.self) { group in
                group.addTask { await store.run(); return nil }
                group.addTask { try await store.rollups(campaign: id) }
                defer { group.cancelAll() }
                while let next = try await group.next() { if let rows = next { return rows } }
                return []
            }
        } else {
            guard FileManager.default.fileExists(atPath: database) else {
                throw ValidationError("no database at \(database) (stagecraft serve makes it; --database names another)")
            }
            rollups = try await SQLiteStore(path: database).rollups(campaign: campaign)
        }
        let results = CampaignResults(campaign: found, rollups: rollups, from: first, to: last, now: Date())
        if format == "json" {
            print(JSON.serialize(results.value))
        } else {
            print(ResultsTable(results).text, terminator: "")
        }
    }
}

/// The results as a terminal table.
struct ResultsTable {
    let results: CampaignResults

    init(_ results: CampaignResults) { self.results = results }

    var text: String {
        let v = results.value.objectValue ?? LiquidObject()
        var out = ""
        let range = [v["from"]?.stringValue, v["to"]?.stringValue]
        out += "\(results.campaign.id) (\(results.campaign.channel.rawValue)): \(int(v["exposed"])) users exposed"
        if range.contains(where: { $0 != nil }) { out += ", exposed \(range[0] ?? "…") to \(range[1] ?? "…")" }
        out += "; control: \(v["control"]?.stringValue ?? "none")\n"
        if let message = v["message"]?.stringValue { out += message + "\n" }
        if let srm = v["srm"]?.objectValue {
            let p = double(srm["p_value"])
            out += isTrue(srm["mismatch"]) ? "SAMPLE RATIO MISMATCH (p = \(CampaignResults.short(p))): " + (srm["message"]?.stringValue ?? "") + "\n"
                : "Split as configured (sample ratio p = \(CampaignResults.short(p)))\n"
        }
        out += "\n" + table([["arm", "weight", "exposed"]] + results.arms.map { a in
            [a.name, percent(a.weight, signed: false), String(a.exposed)]
        })
        for goal in v["goals"]?.arrayValue?.compactMap(\.objectValue) ?? [] {
            let conversion = goal["measure"]?.stringValue == "conversion"
            let days = double(goal["within_seconds"]) / 86_400
            out += "\n\(goal["name"]?.stringValue ?? "") (\(isTrue(goal["primary"]) ? "primary" : "secondary"), "
                + "\(goal["measure"]?.stringValue ?? "") within \(days == days.rounded() ? String(format: "%.0fd", days) : String(format: "%.1fd", days)))\n"
            var rows = [["arm", "users", conversion ? "converted" : "sum", conversion ? "rate" : "mean", "uplift", "95% interval",
                         "chance to win", "p-value"]]
            var notes: [String] = []
            for arm in goal["arms"]?.arrayValue?.compactMap(\.objectValue) ?? [] {
                let rate = arm[conversion ? "rate" : "mean"]
                var row = [arm["arm"]?.stringValue ?? "", String(int(arm["users"])),
                           conversion ? String(int(arm["converted"])) : String(format: "%.2f", double(arm["sum"])),
                           isNull(rate) ? "-" : (conversion ? percent(double(rate), signed: false) : String(format: "%.2f", double(rate)))]
                if let c = arm["vs_control"]?.objectValue {
                    if let problem = c["problem"]?.objectValue {
                        row += ["-", "-", "-", "-"]
                        notes.append("\(arm["arm"]?.stringValue ?? ""): \(problem["message"]?.stringValue ?? "")")
                    } else {
                        let interval = c["interval"]?.arrayValue?.map(double) ?? [0, 0]
                        row += [percent(double(c["uplift"]), signed: true),
                                "[\(percent(interval[0], signed: true)), \(percent(interval[1], signed: true))]",
                                percent(double(c["chance_to_win"]), signed: false), String(format: "%.4f", double(c["p_value"]))]
                    }
                } else {
                    row += ["(control)", "", "", ""]
                }
                rows.append(row)
            }
            out += table(rows)
            for n in notes { out += "  " + n + "\n" }
            if let open = goal["window_message"]?.stringValue { out += "  " + open + "\n" }
        }
        if results.campaign.goals.isEmpty { out += "\nNo goals: add goals: to the campaign's front matter to measure what it changes.\n" }
        return out
    }

    private func isTrue(_ v: Value?) -> Bool {
        if case .bool(true)? = v { return true }
        return false
    }

    private func isNull(_ v: Value?) -> Bool {
        switch v {
        case .null?, nil: return true
        default: return false
        }
    }

    private func int(_ v: Value?) -> Int {
        switch v {
        case .int(let n)?: return n
        case .double(let d)?: return Int(d)
        default: return 0
        }
    }

    private func double(_ v: Value?) -> Double {
        switch v {
        case .int(let n)?: return Double(n)
        case .double(let d)?: return d
        default: return 0
        }
    }

    private func percent(_ x: Double, signed: Bool) -> String {
        (signed && x >= 0 ? "+" : "") + String(format: "%.1f%%", x * 100)
    }

    /// Columns padded to their widest cell, numbers as they come.
    private func table(_ rows: [[String]]) -> String {
        var widths: [Int] = []
        for row in rows {
            for (i, cell) in row.enumerated() {
                if i >= widths.count { widths.append(0) }
                widths[i] = max(widths[i], cell.count)
            }
        }
        return rows.map { row in
            row.enumerated().map { i, cell in cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n") + "\n"
    }
}
