import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import PostgresStorage
import Storage
import Testing

/// A server's first call to PostgreSQL is its migration. When the address is wrong, the pool retries in silence and
/// can only say that it lent no connection in time; the error says what PostgreSQL or the network answered instead.
@Suite("PostgreSQL refusing the address a server was given")
struct PostgresAddressTests {
    @Test("the migration's error names the cause: a password refused, a database that does not exist, a port closed, a server that never answers",
          .enabled(if: StoreKind.postgresURL != nil),
          arguments: ["password", "database", "port", "silent"])
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
        case "port":
            // Port 1 (tcpmux) has nothing listening on a test machine.
            url.host = "127.0.0.1"
            url.port = 1
            expected = "Connection refused"
        default:
            // A port that takes connections (the kernel completes them) and never says a word.
            url.host = "127.0.0.1"
            url.port = try #require(silent.port)
            expected = "no answer within 2.0 seconds"
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

/// A TCP socket on 127.0.0.1 that listens and never accepts: connections to it open and then hear nothing.
private let silent = SilentPort()

private final class SilentPort: Sendable {
    let port: Int?

    init() {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { a in
                bind(fd, a, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, a, &length) == 0
            }
        }
        port = fd >= 0 && bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }
}
