import Foundation
import GRDB
import Storage
import Synchronization

/// Where attribution passes write goal values on SQLite.
///
/// A pass used to add to each user's value where it was kept: every value was a page of its own (the user's row,
/// anywhere in `goal_values`), and that page, written to the WAL and then checkpointed, was most of what a pass cost,
/// about as much per goal event as an event's own write. A pass now appends each user's new value to
/// `goal_value_log`, where the values of a pass share the few pages at its end. Once the log holds `foldAt` rows, the
/// next pass folds it into `goal_values` in key order, so that many values share each page written there.
///
/// A user's value for a goal is the newest log row of its key, else its `goal_values` row. The newest row of each key
/// is kept in memory too: a pass reads values there, and a merge or a removal knows without a scan whether the log
/// holds anything of a user. Every write that reads or changes the log goes through ``SQLiteStore``'s `logWrite`:
/// on the writer, in a transaction that first reads the log again if another connection has committed since this one
/// last read it (`PRAGMA data_version`: one process should write a file, and this keeps a second one, a mistake, from
/// losing values); what it changes applies to memory once its commit has returned, and not at all when it fails
/// (SQLite may have rolled it back by itself: an interrupted statement, a full disk). So memory is the log as
/// committed.
final class GoalValueLog: Sendable {
    struct Entry: Sendable, Equatable {
        var value: Double
        var events: Int
    }

    /// One of a user's goals: the campaign and the goal's name.
    struct Key: Hashable, Sendable {
        var campaign: String
        var goal: String
    }

    /// What a transaction changes in memory once it commits.
    struct Change: Sendable {
        /// The log was folded into `goal_values` first, and emptied.
        var folded = false
        /// Values appended, in order.
        var written: [(user: String, key: Key, entry: Entry)] = []
        /// Users whose rows were moved or removed, with what the log holds of them now (empty: nothing).
        var reread: [String: [Key: Entry]] = [:]
        /// Rows removed besides a fold.
        var removed = 0
    }

    private struct State {
        var byUser: [String: [Key: Entry]] = [:]
        var rows = 0
        /// The writer's `data_version` when the log was last read (nil: not yet read).
        var version: Int?
    }

    private let state = Mutex(State())
    /// How many rows the log holds before a pass folds it.
    let foldAt: Int

    /// The log is read by the first write that needs it (``refresh(_:)``).
    init(foldAt: Int) {
        self.foldAt = max(1, foldAt)
    }

    /// Reads the log again, in the writer's transaction, unless no other connection has committed since it was last
    /// read (the version does not change for the connection's own commits).
    func refresh(_ db: Database) throws {
        let version = try Int.fetchOne(db, sql: "PRAGMA data_version")
        guard state.withLock({ $0.version }) != version else { return }
        let (byUser, rows) = try Self.read(of: nil, db)
        state.withLock { $0 = State(byUser: byUser, rows: rows, version: version) }
    }

    /// The newest row of each key the log holds, of `users` (nil: everyone's), and how many rows it read.
    private static func read(of users: [String]?, _ db: Database) throws -> (byUser: [String: [Key: Entry]], rows: Int) {
        let only = users.map { "WHERE user_id IN (\(Array(repeating: "?", count: $0.count).joined(separator: ",")))" } ?? ""
        let rows = try Row.fetchCursor(db, sql: "SELECT user_id, campaign, goal, value, events FROM goal_value_log \(only) ORDER BY seq",
                                       arguments: StatementArguments(users ?? []))
        var byUser: [String: [Key: Entry]] = [:]
        var count = 0
        while let row = try rows.next() {
            byUser[row[0], default: [:]][Key(campaign: row[1], goal: row[2])] = Entry(value: row[3], events: row[4])
            count += 1
        }
        return (byUser, count)
    }

    /// The newest value the log holds for the key, if it holds one.
    func value(_ key: Attribution.ValueKey) -> Entry? {
        state.withLock { $0.byUser[key.userId]?[Key(campaign: key.campaign, goal: key.goal)] }
    }

    /// Whether the log holds a value of the user's.
    func holds(_ user: String) -> Bool {
        state.withLock { $0.byUser[user] != nil }
    }

    /// The rows the log holds.
    var rows: Int { state.withLock { $0.rows } }

    /// Whether the log is due to be folded.
    var isFull: Bool { rows >= foldAt }

    /// Writes each key's newest value into `goal_values`, in key order, and empties the log.
    func fold(_ db: Database, into change: inout Change) throws {
        // The WHERE clause keeps SQLite from reading ON CONFLICT as a join's constraint.
        try db.execute(sql: """
            INSERT INTO goal_values (campaign, user_id, goal, value, events)
            SELECT campaign, user_id, goal, value, events FROM goal_value_log
            WHERE seq IN (SELECT max(seq) FROM goal_value_log GROUP BY campaign, user_id, goal)
            ORDER BY campaign, user_id, goal
            ON CONFLICT DO UPDATE SET value = excluded.value, events = excluded.events
            """)
        try db.execute(sql: "DELETE FROM goal_value_log")
        change.folded = true
    }

    /// Appends a user's new value for a goal.
    func append(_ key: Attribution.ValueKey, _ entry: Entry, _ db: Database, into change: inout Change) throws {
        try db.cachedStatement(sql: "INSERT INTO goal_value_log (campaign, user_id, goal, value, events) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [key.campaign, key.userId, key.goal, entry.value, entry.events])
        change.written.append((key.userId, Key(campaign: key.campaign, goal: key.goal), entry))
    }

    /// Runs `statement` on `goal_values` (its argument is the table's name), and on the log too when the log holds
    /// rows of `user`, then reads back what the log holds of `users`: a merge or its undo moves values between them,
    /// and the log's rows must move as the table's do.
    func move(from user: String, among users: [String], _ db: Database, into change: inout Change,
              _ statement: (_ table: String) throws -> Void) throws
    {
        try statement("goal_values")
        guard holds(user) else { return }
        try statement("goal_value_log")
        let (held, _) = try Self.read(of: users, db)
        for user in users { change.reread[user] = held[user] ?? [:] }
    }

    /// Applies what a write changed in the log, once its commit has returned, on the writer.
    func apply(_ change: Change) {
        guard change.folded || !change.written.isEmpty || !change.reread.isEmpty || change.removed > 0 else { return }
        state.withLock { s in
            if change.folded {
                s.byUser = [:]
                s.rows = 0
            }
            for w in change.written { s.byUser[w.user, default: [:]][w.key] = w.entry }
            s.rows += change.written.count - change.removed
            for (user, held) in change.reread { s.byUser[user] = held.isEmpty ? nil : held }
        }
    }
}
