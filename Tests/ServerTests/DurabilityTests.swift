import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Liquid
import Testing

/// The real binary, killed with SIGKILL right after its answers: what it accepted is still there.
@Suite("Durability")
struct DurabilityTests {
    /// The package root, found from this file.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `stagecraft` binary of this build (debug, as `swift test` builds it); built when missing.
    static func binary() throws -> URL {
        for configuration in ["debug", "release"] {
            let url = root.appendingPathComponent(".build/\(configuration)/stagecraft")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        let build = Process()
        build.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        build.arguments = ["swift", "build", "--product", "stagecraft", "--package-path", root.path]
        try build.run()
        build.waitUntilExit()
        return root.appendingPathComponent(".build/debug/stagecraft")
    }

    /// The binary, and a new folder to run it in (the caller removes it).
    static func scratch(_ name: String) throws -> (binary: URL, folder: URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stagecraft-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return (try binary(), folder)
    }

    struct NotServing: Error, CustomStringConvertible {
        let log: String
        var description: String { "serve ended without saying where it serves:\n\(log)" }
    }

    /// Starts `serve` in `folder` on a port the system picks (`--port 0`, so no test ever races another process for a
    /// port), and returns it as the line logged once the port is open names it. The rest of the log is read and
    /// dropped, so the server never waits on a full pipe.
    static func start(_ binary: URL, folder: URL) throws -> (process: Process, port: Int) {
        let p = Process()
        p.executableURL = binary
        p.currentDirectoryURL = folder
        p.arguments = ["serve", "--templates", DurabilityTests.root.appendingPathComponent("templates").path, "--port", "0",
                       "--log-level", "notice"]
        let log = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = log
        try p.run()
        var text = ""
        while true {
            let data = log.fileHandleForReading.availableData
            if data.isEmpty { break }  // the process ended
            text += String(decoding: data, as: UTF8.self)
            // Whole lines only: a chunk may end inside the port's digits.
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            if let line = lines.first(where: { $0.contains("serving ") && $0.contains(" templates from ") && $0.contains(" on http://") }),
               let port = line.split(separator: ":").last.flatMap({ Int($0) }) {
                log.fileHandleForReading.readabilityHandler = { handle in
                    if handle.availableData.isEmpty { handle.readabilityHandler = nil }
                }
                return (p, port)
            }
        }
        p.waitUntilExit()
        throw NotServing(log: text)
    }

    static func request(_ method: String, _ url: String, _ body: String? = nil) async throws -> (Int, String) {
        var r = URLRequest(url: URL(string: url)!)
        r.httpMethod = method
        if let body {
            r.httpBody = Data(body.utf8)
            r.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: r)
        return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
    }

    static func waitReady(_ port: Int) async throws {
        for _ in 0..<200 {
            if let (status, _) = try? await request("GET", "http://127.0.0.1:\(port)/readyz"), status == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the server did not get ready on port \(port)")
    }

    @Test("kill -9 right after 2xx answers loses nothing")
    func killNine() async throws {
        let (binary, folder) = try Self.scratch("kill")
        defer { try? FileManager.default.removeItem(at: folder) }

        let (first, port) = try Self.start(binary, folder: folder)
        var base = "http://127.0.0.1:\(port)"
        try await Self.waitReady(port)
        var accepted = 0
        for i in 0..<20 {
            let (s1, _) = try await Self.request("PUT", "\(base)/v1/profiles/user-\(i)", #"{"traits":{"n":\#(i),"name":"Zoë \#(i)"}}"#)
            let events = (0..<5).map { #"{"user_id":"user-\#(i)","name":"e\#($0)"}"# }.joined(separator: ",")
            let (s2, _) = try await Self.request("POST", "\(base)/v1/events", #"{"events":[\#(events)]}"#)
            let (s3, _) = try await Self.request("POST", "\(base)/v1/interactions",
                                                 #"{"user_id":"user-\#(i)","campaign":"hero-setup","kind":"dismiss"}"#)
            if s1 / 100 == 2, s2 / 100 == 2, s3 / 100 == 2 { accepted += 1 }
        }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        #expect(accepted == 20)
        #expect(first.terminationReason == .uncaughtSignal)

        let (second, secondPort) = try Self.start(binary, folder: folder)
        defer {
            second.terminate()
            second.waitUntilExit()
        }
        base = "http://127.0.0.1:\(secondPort)"
        try await Self.waitReady(secondPort)
        for i in 0..<20 {
            let (status, body) = try await Self.request("GET", "\(base)/v1/profiles/user-\(i)")
            #expect(status == 200)
            let traits = (try? JSON.parse(body))?.objectValue?["traits"]?.objectValue
            #expect(traits?["name"]?.stringValue == "Zoë \(i)")
        }
        // The dismissals survived too: the dismissed campaign is not served again.
        let (status, body) = try await Self.request("GET", "\(base)/v1/placements/home-hero?user_id=user-3")
        #expect(status == 200 || status == 204)
        #expect(!body.contains("\"campaign\":\"hero-setup\""))
    }

    @Test("SIGTERM right after serving: what serving queued for results (stage sightings) is written before the process ends")
    func termWritesQueuedObservations() async throws {
        let (binary, folder) = try Self.scratch("term")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (first, port) = try Self.start(binary, folder: folder)
        var base = "http://127.0.0.1:\(port)"
        try await Self.waitReady(port)
        for i in 0..<20 {
            _ = try await Self.request("PUT", "\(base)/v1/profiles/term-\(i)", #"{"traits":{"plan":"trial"}}"#)
        }
        // Served, then stopped at once: the last sightings are still queued (they wait 50 ms for others).
        for i in 0..<20 { _ = try await Self.request("GET", "\(base)/v1/placements/home-hero?user_id=term-\(i)") }
        kill(first.processIdentifier, SIGTERM)
        first.waitUntilExit()
        #expect(first.terminationReason == .exit)

        let (second, secondPort) = try Self.start(binary, folder: folder)
        defer {
            second.terminate()
            second.waitUntilExit()
        }
        base = "http://127.0.0.1:\(secondPort)"
        try await Self.waitReady(secondPort)
        let (status, body) = try await Self.request("GET", "\(base)/v1/stages/flow")
        #expect(status == 200)
        let transitions: [LiquidObject] = (try? JSON.parse(body))?.objectValue?["transitions"]?.arrayValue?.compactMap(\.objectValue) ?? []
        var firstSeen = 0
        for t in transitions where t["from"]?.isNil == true {
            if case .int(let n)? = t["users"] { firstSeen += n }
        }
        #expect(firstSeen == 20, "\(body)")
    }

    @Test("goal events queued when the process was killed are attributed by the next one when it starts")
    func queuedGoalEventsSurviveAKill() async throws {
        let (binary, folder) = try Self.scratch("queue")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (first, port) = try Self.start(binary, folder: folder)
        let base = "http://127.0.0.1:\(port)"
        try await Self.waitReady(port)
        for i in 0..<5 {
            _ = try await Self.request("PUT", "\(base)/v1/profiles/q-\(i)", #"{"traits":{"plan":"trial","activated":true}}"#)
            let (sent, body) = try await Self.request("POST", "\(base)/v1/messages/emails/upgrade-story/render", #"{"user_id":"q-\#(i)","send":true}"#)
            #expect(sent == 200, "\(body)")
        }
        let events = (0..<5).map { #"{"user_id":"q-\#($0)","name":"plan_upgraded"}"# }.joined(separator: ",")
        let (kept, _) = try await Self.request("POST", "\(base)/v1/events", #"{"events":[\#(events)]}"#)
        #expect(kept == 200)
        // Killed before the pass (it waits 200 ms for more events): the events are kept and queued, not attributed.
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()

        // The next process attributes them when it starts, with no request asking.
        let (second, secondPort) = try Self.start(binary, folder: folder)
        try await Self.waitReady(secondPort)
        try await Task.sleep(for: .milliseconds(800))
        second.terminate()
        second.waitUntilExit()
        // `stagecraft results` only reads what was attributed.
        let results = Process()
        results.executableURL = binary
        results.currentDirectoryURL = folder
        results.arguments = ["results", "upgrade-story", "--templates", Self.root.appendingPathComponent("templates").path, "--format", "json"]
        let out = Pipe()
        results.standardOutput = out
        try results.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        results.waitUntilExit()
        let goals = (try? JSON.parse(String(decoding: data, as: UTF8.self)))?.objectValue?["goals"]?.arrayValue ?? []
        var converted = 0
        for arm in goals.first?.objectValue?["arms"]?.arrayValue ?? [] {
            if case .int(let n)? = arm.objectValue?["converted"] { converted += n }
        }
        #expect(converted == 5, "\(String(decoding: data, as: UTF8.self).prefix(600))")
    }
}
