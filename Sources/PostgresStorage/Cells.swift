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
}
