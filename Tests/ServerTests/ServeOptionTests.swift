import Foundation
import Testing

/// `stagecraft serve` refuses an option it cannot use before it opens anything, and says where it serves once it does.
@Suite("serve: options it refuses, and where it says it serves")
struct ServeOptionTests {
    /// Runs `serve` with `option` on a scratch folder: its exit status, what it wrote to stderr, whether a
    /// database was made.
    private func serve(with option: String) throws -> (status: Int32, errors: String, madeDatabase: Bool) {
        let (binary, folder) = try DurabilityTests.scratch("serve-option")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("stagecraft.sqlite")
        let p = Process()
        p.executableURL = binary
        p.currentDirectoryURL = folder
        p.arguments = ["serve", "--templates", DurabilityTests.root.appendingPathComponent("templates").path, "--port", "0",
                       "--database", database.path, option]
        let errors = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = errors
        try p.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text, FileManager.default.fileExists(atPath: database.path))
    }

    @Test("--port 0: the line saying where it serves comes once the port is open, with the port the system chose, which answers")
    func portChosenBySystem() async throws {
        let (binary, folder) = try DurabilityTests.scratch("serve-port-0")
        defer { try? FileManager.default.removeItem(at: folder) }
        // DurabilityTests.start runs `serve --port 0` and reads the port from that line.
        let (server, port) = try DurabilityTests.start(binary, folder: folder)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        #expect(port > 0)
        let (status, _) = try await DurabilityTests.request("GET", "http://127.0.0.1:\(port)/healthz")
        #expect(status == 200)
    }

    @Test("--attribution-wait outside 0 to 3600 seconds: an error naming it, exit status not 0, no database made",
          arguments: ["-1", "3601", "nan", "inf"])
    func attributionWait(value: String) throws {
        let run = try serve(with: "--attribution-wait=\(value)")
        #expect(run.status != 0)
        #expect(run.errors.contains("--attribution-wait takes seconds from 0 to 3600"), "\(run.errors)")
        #expect(!run.madeDatabase)
    }

    @Test("--render-threads outside 0 to 256, or not a count: refused before anything is opened, no database made",
          arguments: ["--render-threads=257", "--render-threads=-1", "--render-threads=two"])
    func renderThreads(option: String) throws {
        let run = try serve(with: option)
        #expect(run.status != 0)
        #expect(run.errors.contains("--render-threads"), "\(run.errors)")
        #expect(!run.madeDatabase)
    }

    @Test("an age or interval below 0, or not a finite number: an error naming them, exit status not 0, no database made",
          arguments: ["--stage-sweep-interval=-1", "--stage-sweep-interval=inf", "--prune-interval=nan", "--retain-events-days=inf",
                      "--retain-visitors-days=-0.5"])
    func intervals(option: String) throws {
        let run = try serve(with: option)
        #expect(run.status != 0)
        #expect(run.errors.contains("--prune-interval and --stage-sweep-interval take numbers from 0 up"), "\(run.errors)")
        #expect(!run.madeDatabase)
    }
}
