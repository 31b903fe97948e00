import Foundation
import Logging
import PostgresStorage
import Storage
import Testing

/// A server's first call to PostgreSQL is its migration. When the address is wrong, the pool retries in silence and
/// can only say that it lent no connection in time; the error says what PostgreSQL or the network answered instead.
@Suite("PostgreSQL refusing the address a server was given")
struct PostgresAddressTests {
    @Test("the migration's error names the cause: a password refused, a database that does not exist, a port closed",
          .enabled(if: StoreKind.postgresURL != nil),
          arguments: ["password", "database", "port"])
    func migrationSaysWhy(wrong part: String) async throws {
        var url = try #require(URLComponents(string: StoreKind.postgresURL!))
        let expected: String
        switch part {
        case "password":
            url.password = "not-the-password"
            expected = "password authentication failed for user \"\(url.user ?? "postgres")\" (SQLSTATE 28P01)"
        case "database":
            url.path = "/stagecraft_no_such_database"
            expected = "database \"stagecraft_no_such_database\" does not exist (SQLSTATE 3D000)"
        default:
            // Port 1 (tcpmux) has nothing listening on a test machine.
            url.host = "127.0.0.1"
            url.port = 1
            expected = "Connection refused"
        }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let store = try PostgresStore(url: try #require(url.string), logger: logger, connections: 1, leaseTimeout: .seconds(1))
        let error = await withTaskGroup(of: Void.self) { pool in
            pool.addTask { await store.run() }
            defer { pool.cancelAll() }
            return await #expect(throws: StoreUnavailable.self) { try await store.migrate() }
        }
        let message = try #require(error).description
        #expect(message.hasPrefix("PostgreSQL is unavailable: no connection within 1.0 seconds (connecting outside the pool: "))
        #expect(message.contains(expected), "\(message)")
    }
}
