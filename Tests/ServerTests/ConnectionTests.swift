import Foundation
import HummingbirdTesting
import Liquid
import StagecraftServer
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection to the test server, to misbehave as HTTP clients do: send half a header and wait, close
/// one side, or just stay connected.
final class RawConnection: @unchecked Sendable {
    let fd: Int32

    init(port: Int) throws {
        var candidate: Int32 = -1
        for family in [AF_INET, AF_INET6] {
            let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
            var connected: Int32 = -1
            if family == AF_INET {
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = in_port_t(UInt16(port).bigEndian)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                connected = withUnsafePointer(to: &address) { connect(fd, UnsafeRawPointer($0).assumingMemoryBound(to: sockaddr.self), socklen_t(MemoryLayout<sockaddr_in>.size)) }
            } else {
                var address = sockaddr_in6()
                address.sin6_family = sa_family_t(AF_INET6)
                address.sin6_port = in_port_t(UInt16(port).bigEndian)
                address.sin6_addr = in6addr_loopback
                connected = withUnsafePointer(to: &address) { connect(fd, UnsafeRawPointer($0).assumingMemoryBound(to: sockaddr.self), socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
            if connected == 0 {
                candidate = fd
                break
            }
            close(fd)
        }
        guard candidate >= 0 else { throw POSIXError(.ECONNREFUSED) }
        fd = candidate
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Closes the sending side, as a client that gives up does.
    func finishSending() { shutdown(fd, Int32(SHUT_WR)) }

    /// Everything the server sends until it closes (or 20 s pass); nil when the wait ran out with the connection open.
    /// The blocking reads run on a thread of their own: on Swift's cooperative pool they would starve the server
    /// under test of the threads its handlers run on.
    func readToEnd() async -> String? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: self.blockingReadToEnd()) }
        }
    }

    private func blockingReadToEnd() -> String? {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return String(decoding: received, as: UTF8.self) }
            if n < 0 { return errno == ECONNRESET ? String(decoding: received, as: UTF8.self) : nil }
            received += buffer[0..<n]
        }
    }
}

@Suite struct ConnectionTests {
    @Test("a connection that sends half a header is closed after the idle timeout")
    func slowHeaderIsClosed() async throws {
        let h = try Harness(idleTimeout: .milliseconds(300))
        try await h.live { client in
            let connection = try RawConnection(port: try #require(client.port))
            connection.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            #expect(await connection.readToEnd() == "")
        }
    }

    @Test("past the connection cap new connections are closed on arrival; /metrics counts them")
    func connectionCap() async throws {
        // The live test client keeps a connection of its own: with it, the cap is reached by two more.
        let h = try Harness(maxConnections: 3)
        try await h.live { client in
            let port = try #require(client.port)
            let first = try RawConnection(port: port)
            let second = try RawConnection(port: port)
            try await Task.sleep(for: .milliseconds(200))
            let third = try RawConnection(port: port)
            third.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            #expect(await third.readToEnd() == "")
            withExtendedLifetime(first) {}
            first.send("GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            let metrics = await first.readToEnd() ?? ""
            #expect(metrics.contains("stagecraft_connections_refused_total 1"))
            #expect(metrics.contains("stagecraft_open_connections 3"))
            withExtendedLifetime(second) {}
        }
    }

    @Test("a request line or header past the decoder's limit, or a line that is not HTTP, is a 400 problem that says so")
    func unreadableRequestsAreProblems() async throws {
        let h = try Harness()
        try await h.live { client in
            let port = try #require(client.port)
            let long = try RawConnection(port: port)
            long.send("GET /v1/content?x=" + String(repeating: "a", count: 100_000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let answer = await long.readToEnd() ?? ""
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer.prefix(200))")
            #expect(answer.contains("application/problem+json"))
            #expect(answer.contains("\"code\":\"request_header_too_large\""))
            #expect(answer.contains("\"limit\":81920"))  // 80 KB, the decoder's limit the README names
            let header = try RawConnection(port: port)
            header.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: " + String(repeating: "b", count: 100_000) + "\r\n\r\n")
            #expect((await header.readToEnd() ?? "").contains("\"code\":\"request_header_too_large\""))
            let garbage = try RawConnection(port: port)
            garbage.send("HELLO THERE\r\n\r\n")
            let refused = await garbage.readToEnd() ?? ""
            #expect(refused.hasPrefix("HTTP/1.1 400") && refused.contains("\"code\":\"malformed_request\""), "\(refused.prefix(200))")
            // The server is fine, and a keep-alive connection's answers are untouched.
            let fine = try RawConnection(port: port)
            fine.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\nGET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            let both = await fine.readToEnd() ?? ""
            #expect(both.components(separatedBy: "HTTP/1.1 200").count == 3, "\(both)")
        }
    }

    @Test("a client that closes its side while its preview renders stops the render (render_cancelled)")
    func goneClientStopsTheRender() async throws {
        let heavy = "---\ncampaign: heavy\nchannel: banner\nplacement: side\n---\n<p>"
            + "{% for i in (1..1000) %}{% for j in (1..999) %}{{ 'now' | date: '%Y' }}{% endfor %}{% endfor %}</p>\n"
        let h = try Harness(files: Fixture.files.merging(["banners/heavy.liquid": heavy]) { $1 }, renderTimeout: .seconds(60))
        try await h.live { client in
            let connection = try RawConnection(port: try #require(client.port))
            let body = #"{"template":"banners/heavy"}"#
            connection.send("POST /v1/preview HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
            try await Task.sleep(for: .milliseconds(100))
            connection.finishSending()
            let answer = await connection.readToEnd() ?? ""
            #expect(answer.contains("\"code\":\"render_cancelled\""))
        }
    }
}

/// With no keys every call is let through, so only this machine's own pages may make one.
@Suite struct OpenAccessTests {
    static func exchange(_ port: Int, host: String, origin: String?, method: String = "PUT", path: String = "/v1/profiles/victim",
                         body: String = #"{"traits":{"plan":"gone"}}"#) async throws -> String
    {
        let connection = try RawConnection(port: port)
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\nContent-Type: application/json\r\n"
        if let origin { head += "Origin: \(origin)\r\n" }
        connection.send(head + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
        return await connection.readToEnd() ?? ""
    }

    @Test(arguments: [
        ("localhost", "https://evil.example", "origin_not_allowed"),
        ("127.0.0.1", "null", "origin_not_allowed"),
        ("evil.example", nil, "host_not_allowed"),
        ("evil.example", "http://evil.example", "host_not_allowed"),
    ] as [(String, String?, String)])
    func otherSitesAreRefused(host: String, origin: String?, code: String) async throws {
        let h = try Harness()
        try await h.live { client in
            let port = try #require(client.port)
            let answer = try await Self.exchange(port, host: "\(host):\(port)", origin: origin.map { $0 == "null" ? $0 : "\($0):\(port)" })
            #expect(answer.hasPrefix("HTTP/1.1 403"))
            #expect(answer.contains("\"code\":\"\(code)\""))
            #expect(!answer.contains("access-control-allow-origin"))
        }
        #expect(try await h.store.profile(id: "victim", eventLimit: 10) == nil)
    }

    @Test func theServersOwnPagesAndAllowedOriginsMayCall() async throws {
        let h = try Harness(keys: AccessKeys(allowedOrigins: ["http://shop.test:3000"]))
        try await h.live { client in
            let port = try #require(client.port)
            let own = try await Self.exchange(port, host: "127.0.0.1:\(port)", origin: "http://127.0.0.1:\(port)")
            #expect(own.hasPrefix("HTTP/1.1 201"))
            #expect(own.lowercased().contains("access-control-allow-origin: http://127.0.0.1:\(port)"))
            let listed = try await Self.exchange(port, host: "localhost:\(port)", origin: "http://shop.test:3000", method: "GET")
            #expect(listed.hasPrefix("HTTP/1.1 200"))
            let tool = try await Self.exchange(port, host: "localhost:\(port)", origin: nil, method: "GET")
            #expect(tool.hasPrefix("HTTP/1.1 200"))
        }
    }
}
