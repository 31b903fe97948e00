import Foundation
import Testing

/// `stagecraft serve` refuses an option it cannot use before it opens anything.
@Suite("serve: options it refuses")
struct ServeOptionTests {
    @Test("--attribution-wait outside 0 to 3600 seconds: an error naming it, exit status not 0, no database made",
          arguments: ["-1", "3601", "nan", "inf"])
    func attributionWait(value: String) throws {
        let (binary, folder, port) = try DurabilityTests.scratch("serve-option")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("stagecraft.sqlite")
        let p = Process()
        p.executableURL = binary
        p.currentDirectoryURL = folder
        p.arguments = ["serve", "--templates", DurabilityTests.root.appendingPathComponent("templates").path, "--port", "\(port)",
                       "--database", database.path, "--attribution-wait=\(value)"]
        let errors = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = errors
        try p.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus != 0)
        #expect(text.contains("--attribution-wait takes seconds from 0 to 3600"), "\(text)")
        #expect(!FileManager.default.fileExists(atPath: database.path))
    }
}
