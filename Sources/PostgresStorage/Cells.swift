import Foundation
import PostgresNIO
import Storage

/// A row's cells read in order, each decoded to the type asked for. PostgresNIO's tuple decoding
/// (`rows.decode((String, Int).self)`) goes through parameter packs, which look up generic metadata for every
/// row; decoding cell by cell is specialized here. The attribution pass read thousands of rows that way, and the
/// decoding was the largest part of its time.
struct Cells {
    private var iterator: PostgresRow.Iterator

    init(_ row: PostgresRow) {
        iterator = row.makeIterator()
    }

    /// The next cell as `T`; a row with fewer cells than read is a store error.
    mutating func next<T: PostgresDecodable>(_: T.Type = T.self) throws -> T {
        guard let cell = iterator.next() else { throw StoreError("a row from PostgreSQL has fewer columns than expected") }
        return try cell.decode(T.self)
    }

    /// An exposure from the next five cells: campaign, user, variant, held out, time (as the exposures table has them).
    mutating func exposure() throws -> Exposure {
        let (campaign, user) = (try next(String.self), try next(String.self))
        let arm = Arm(variant: try next(String.self), heldOut: try next(Bool.self))
        return Exposure(campaign: campaign, userId: user, arm: arm, time: Date(timeIntervalSince1970: try next(Double.self)))
    }

    /// A goal value's key from the next three cells: campaign, goal, user.
    mutating func valueKey() throws -> Attribution.ValueKey {
        Attribution.ValueKey(campaign: try next(String.self), goal: try next(String.self), userId: try next(String.self))
    }
}
