import Content
import Diagnostics
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Liquid
import Logging
import Personalization
import StagecraftServer
import Storage
import Testing

@Suite("Keys, identity verification, CORS")
struct AccessTests {
    static let keys = AccessKeys(secretKeys: ["sk_test_1"], publishableKeys: ["pk_test_1"], allowedOrigins: ["https://shop.example"])

    func bearer(_ key: String, origin: String? = nil) -> HTTPFields {
        var h: HTTPFields = [.authorization: "Bearer \(key)", .contentType: "application/json"]
        if let origin { h[.origin] = origin }
        return h
    }

    @Test("secret keys open everything; no key or a wrong one is 401")
    func secret() async throws {
        let h = try Harness(keys: Self.keys)
        try await h.test { client in
            try await client.execute(uri: "/v1/profiles/a", method: .put, headers: bearer("sk_test_1"), body: jsonBody(#"{"traits":{}}"#)) { r in
                #expect(r.status == .created)
            }
            try await client.execute(uri: "/v1/profiles/a", method: .get) { r in
                #expect(r.status == .unauthorized)
                #expect(r.problemCode == "missing_key")
                #expect(r.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            }
            try await client.execute(uri: "/v1/profiles/a", method: .get, headers: bearer("sk_test_2")) { r in
                #expect(r.status == .unauthorized)
                #expect(r.problemCode == "invalid_key")
            }
            try await client.execute(uri: "/metrics", method: .get) { r in #expect(r.status == .unauthorized) }
            try await client.execute(uri: "/healthz", method: .get) { r in #expect(r.status == .ok) }
            // Rendering a message for a user is the sender's: a secret key's route.
            try await client.execute(uri: "/v1/messages/emails/trial/render", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"profile":{"id":"p"}}"#)) { r in
                #expect(r.status == .unauthorized)
                #expect(r.problemCode == "missing_key")
            }
            var withKey = bearer("sk_test_1")
            withKey[.contentType] = "application/json"
            try await client.execute(uri: "/v1/messages/emails/trial/render", method: .post, headers: withKey,
                                     body: jsonBody(#"{"profile":{"id":"p"}}"#)) { r in
                #expect(r.status == .ok)
                #expect(r.json["channel"]?.stringValue == "email")
            }
            // A secret key goes in Authorization only: in the query or the browser header it is refused, whatever it
            // would have opened.
            try await client.execute(uri: "/v1/profiles/a?key=sk_test_1", method: .get) { r in
                #expect(r.status == .unauthorized)
                #expect(r.problemCode == "secret_key_misplaced")
            }
            try await client.execute(uri: "/v1/placements/home-hero?anonymous_id=v1", method: .get,
                                     headers: [HTTPField.Name("X-Stagecraft-Key")!: "sk_test_1"]) { r in
                #expect(r.problemCode == "secret_key_misplaced")
            }
        }
    }

    @Test("a publishable key reads blocks for anonymous visitors, and for a user only with the id's HMAC")
    func publishable() async throws {
        let h = try Harness(keys: Self.keys)
        let hash = AccessKeys.identityHash(of: "42", secret: "sk_test_1")
        #expect(hash.count == 64)
        try await h.test { client in
            try await client.execute(uri: "/v1/placements/home-hero?anonymous_id=v1", method: .get, headers: bearer("pk_test_1")) { r in
                #expect(r.status == .ok)
            }
            try await client.execute(uri: "/v1/placements/home-hero?user_id=42", method: .get, headers: bearer("pk_test_1")) { r in
                #expect(r.status == .forbidden)
                #expect(r.problemCode == "identity_unverified")
            }
            try await client.execute(uri: "/v1/placements/home-hero?user_id=43&user_hash=\(hash)", method: .get, headers: bearer("pk_test_1")) { r in
                #expect(r.status == .forbidden, "a hash made for another id")
            }
            try await client.execute(uri: "/v1/placements/home-hero?user_id=42&user_hash=\(hash)", method: .get, headers: bearer("pk_test_1")) { r in
                #expect(r.status == .ok)
            }
            try await client.execute(uri: "/v1/placements/home-hero?user_id=42&user_hash=\(hash)&key=pk_test_1", method: .get) { r in
                #expect(r.status == .ok, "the key may come in the query, for script tags")
            }
            try await client.execute(uri: "/v1/profiles/42", method: .get, headers: bearer("pk_test_1")) { r in
                #expect(r.status == .forbidden)
                #expect(r.problemCode == "secret_key_required")
            }
            try await client.execute(uri: "/v1/preview", method: .post, headers: bearer("pk_test_1"), body: jsonBody(#"{"template":"banners/hero"}"#)) { r in
                #expect(r.status == .forbidden)
            }
        }
    }

    @Test("browsers from allowed origins get CORS headers; others are refused")
    func cors() async throws {
        let h = try Harness(keys: Self.keys)
        try await h.test { client in
            try await client.execute(uri: "/v1/decide", method: .options,
                                     headers: [.origin: "https://shop.example", .accessControlRequestMethod: "POST"]) { r in
                #expect(r.status == .noContent)
                #expect(r.headers[.accessControlAllowOrigin] == "https://shop.example")
                #expect(r.headers[.accessControlAllowHeaders]?.contains("Authorization") == true)
            }
            try await client.execute(uri: "/v1/placements/home-hero?anonymous_id=v", method: .get,
                                     headers: bearer("pk_test_1", origin: "https://shop.example")) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.accessControlAllowOrigin] == "https://shop.example")
            }
            // An error answered to an allowed page carries the header too, so the page can read the problem.
            try await client.execute(uri: "/v1/placements/nope?anonymous_id=v", method: .get,
                                     headers: bearer("pk_test_1", origin: "https://shop.example")) { r in
                #expect(r.status == .notFound)
                #expect(r.headers[.accessControlAllowOrigin] == "https://shop.example")
            }
            try await client.execute(uri: "/v2/nothing", method: .get, headers: bearer("pk_test_1", origin: "https://shop.example")) { r in
                #expect(r.problemCode == "not_found")
                #expect(r.headers[.accessControlAllowOrigin] == "https://shop.example")
            }
            try await client.execute(uri: "/v1/placements/home-hero?anonymous_id=v", method: .get,
                                     headers: bearer("pk_test_1", origin: "https://evil.example")) { r in
                #expect(r.status == .forbidden)
                #expect(r.problemCode == "origin_not_allowed")
                #expect(r.headers[.accessControlAllowOrigin] == nil)
            }
        }
    }

    @Test("no keys: loopback only, and a public address is refused at start")
    func openServer() throws {
        var c = ServerConfiguration()
        #expect(c.bindHost == "127.0.0.1")
        c.host = "0.0.0.0"
        #expect(throws: ServerError.self) { try c.check() }
        c.keys = Self.keys
        c.host = nil
        #expect(c.bindHost == "0.0.0.0")
        try c.check()
    }
}

@Suite("Preview and content")
struct PreviewContentTests {
    @Test("preview by name: output, decision trace, stage and time chosen")
    func byName() async throws {
        let h = try Harness()
        try await h.test { client in
            try await client.execute(uri: "/v1/preview", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"template":"banners/side","profile":{"id":"p","traits":{"trial_days_left":5}},"stage":"revenue","at":"2026-12-01T08:00:00Z","time_zone":"Asia/Tokyo"}"#)) { r in
                #expect(r.status == .ok)
                let o = r.json
                #expect(o["ok"].map(JSON.serialize) == "true")
                #expect(o["stage"]?.stringValue == "revenue")
                #expect(o["stage_stated"].map(JSON.serialize) == "true")
                #expect(o["time_zone"]?.stringValue == "Asia/Tokyo")
                #expect(o["output"]?.objectValue?["html"]?.stringValue == "<aside>5 days left</aside>")
                let decision = try #require(o["decision"]?.objectValue)
                #expect(decision["chosen"]?.stringValue == "side-trial")
                #expect(decision["trace"]?.arrayValue?.count == 1)
            }
            try await client.execute(uri: "/v1/preview", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"template":"emails/trial","profile":{"id":"p","traits":{"name":"Li"}}}"#)) { r in
                let output = r.json["output"]?.objectValue
                #expect(output?["subject"]?.stringValue == "Li, your trial ends soon")
                #expect(output?["text"]?.stringValue?.contains("Upgrade (https://northwind.example/upgrade)") == true)
                // trial_days_left is missing: the strict pass lists it without failing the render.
                let d = r.json["diagnostics"]?.arrayValue?.first?.objectValue
                #expect(d?["code"]?.stringValue == "undefined_variable")
                #expect(d?["line"].map(JSON.serialize) == "10")
            }
        }
    }

    @Test("public/ serves its own files only: a link out of it is not found, a NUL in the path is refused")
    func publicFilesStayInTheFolder() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("stagecraft-public-\(UUID().uuidString)").path
        let folder = base + "/public"
        try FileManager.default.createDirectory(atPath: folder + "/js", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }
        try "secret".write(toFile: base + "/secret.txt", atomically: true, encoding: .utf8)
        try "/* embed */".write(toFile: folder + "/js/app.js", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: folder + "/leak.txt", withDestinationPath: base + "/secret.txt")
        try FileManager.default.createSymbolicLink(atPath: folder + "/up", withDestinationPath: base)
        try FileManager.default.createSymbolicLink(atPath: folder + "/inside.js", withDestinationPath: folder + "/js/app.js")
        let h = try Harness(publicDirectory: folder)
        try await h.test { client in
            for path in ["/leak.txt", "/up/secret.txt"] {
                try await client.execute(uri: path, method: .get) { r in
                    #expect(r.status == .notFound, "\(path)")
                    #expect(!r.text.contains("secret\""))
                }
            }
            try await client.execute(uri: "/js/app.js%00.png", method: .get) { r in
                #expect(r.status == .badRequest)
                #expect(r.problemCode == "invalid_path")
            }
            try await client.execute(uri: "/inside.js", method: .get) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/js/app.js", method: .get) { r in #expect(r.text == "/* embed */") }
        }
    }

    @Test("the files of public/: no page may be framed, and pages run this server's scripts and call its API only; no sniffing")
    func publicFiles() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stagecraft-public-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "<!doctype html><title>studio</title>".write(toFile: folder + "/index.html", atomically: true, encoding: .utf8)
        try "/* embed */".write(toFile: folder + "/stagecraft.js", atomically: true, encoding: .utf8)
        try "<!doctype html><title>demo</title>".write(toFile: folder + "/demo.html", atomically: true, encoding: .utf8)
        let h = try Harness(publicDirectory: folder)
        try await h.test { client in
            try await client.execute(uri: "/", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.text.contains("studio"))
                let policy = r.headers[.contentSecurityPolicy] ?? ""
                #expect(policy.contains("script-src 'self'"))
                #expect(policy.contains("frame-ancestors 'none'"))
                #expect(r.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
                #expect(r.headers[.xContentTypeOptions] == "nosniff")
            }
            // The demo site likewise: this server's scripts and API only (what its address names cannot bring another
            // host's markup in). However the path is written, a page gets the policy.
            for uri in ["/demo.html?api=https://elsewhere.example", "/demo%2Ehtml", "/index%2Ehtml", "//index.html"] {
                try await client.execute(uri: uri, method: .get) { r in
                    #expect(r.status == .ok, "\(uri)")
                    let policy = r.headers[.contentSecurityPolicy] ?? ""
                    #expect(policy.contains("script-src 'self';") && policy.contains("connect-src 'self';"), "\(uri): \(policy)")
                    #expect(policy.contains("frame-ancestors 'none'"), "\(uri)")
                    #expect(r.headers[HTTPField.Name("X-Frame-Options")!] == "DENY", "\(uri)")
                    #expect(r.headers[.xContentTypeOptions] == "nosniff")
                }
            }
            try await client.execute(uri: "/stagecraft.js", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType]?.contains("javascript") == true)
                #expect(r.headers[.cacheControl] == "public, max-age=300")
                #expect(r.headers[.contentSecurityPolicy] == nil)
            }
            // The API keeps its own headers.
            try await client.execute(uri: "/v1/content", method: .get) { r in
                #expect(r.headers[.xContentTypeOptions] == nil)
                #expect(r.headers[.cacheControl] == "no-store")
            }
        }
    }

    @Test("an email's strict pass sees what the email sees: unsubscribe_url is no undefined variable")
    func emailStrictPass() async throws {
        let h = try Harness()
        let source = """
            ---
            campaign: trial-ending
            channel: email
            stages: [revenue]
            subject: "Your trial"
            ---
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Trial</title></head>
            <body><p>{{ user.trial_days_left }} days left.</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>
            <p>{{ user.nickname }}</p></body></html>
            """
        let body = JSON.serialize(.object(LiquidObject([("template", "emails/trial"), ("source", .string(source)),
                                                        ("profile", .object(LiquidObject([("id", "p"), ("traits", .object(LiquidObject([("trial_days_left", 3)])))])))])))
        try await h.test { client in
            try await client.execute(uri: "/v1/preview", method: .post, headers: jsonHeaders, body: jsonBody(body)) { r in
                #expect(r.json["ok"].map(JSON.serialize) == "true")
                #expect(r.json["output"]?.objectValue?["html"]?.stringValue?.contains("https://northwind.example/u?id=p") == true)
                let list = r.json["diagnostics"]?.arrayValue ?? []
                #expect(list.count == 1)
                let d = list.first?.objectValue
                #expect(d?["message"]?.stringValue?.contains("nickname") == true)
                #expect(d?["severity"]?.stringValue == "warning")
                #expect(d?["file"]?.stringValue == "emails/trial.liquid")
                #expect(d?["line"].map(JSON.serialize) == "10")
            }
        }
    }

    @Test("preview of an edited source: a planted error comes back at its line and column")
    func editedSource() async throws {
        let h = try Harness()
        let source = "---\ncampaign: hero-main\nchannel: banner\nplacement: home-hero\npriority: 10\n---\n<section>\n  {% if user.name %}Hi{% endfi %}\n</section>\n"
        let body = JSON.serialize(.object(LiquidObject([("template", "banners/hero"), ("source", .string(source))])))
        try await h.test { client in
            try await client.execute(uri: "/v1/preview", method: .post, headers: jsonHeaders, body: jsonBody(body)) { r in
                #expect(r.status == .ok)
                #expect(r.json["ok"].map(JSON.serialize) == "false")
                let d = try #require(r.json["diagnostics"]?.arrayValue?.first?.objectValue)
                #expect(d["file"]?.stringValue == "banners/hero.liquid")
                #expect(d["line"].map(JSON.serialize) == "8")
                #expect(d["column"].map(JSON.serialize) == "23")
            }
            let invalid = source.replacingOccurrences(of: "{% if user.name %}Hi{% endfi %}", with: "<p><div>x</div></p>")
            let body2 = JSON.serialize(.object(LiquidObject([("template", "banners/hero"), ("source", .string(invalid))])))
            try await client.execute(uri: "/v1/preview", method: .post, headers: jsonHeaders, body: jsonBody(body2)) { r in
                #expect(r.json["ok"].map(JSON.serialize) == "false")
                // At the template line that wrote the bad tag, with its place in the output beside.
                let d = r.json["diagnostics"]?.arrayValue?.first?.objectValue
                #expect(d?["source"]?.stringValue == "html")
                #expect(d?["file"]?.stringValue == "banners/hero.liquid")
                #expect(d?["line"].map(JSON.serialize) == "8")
                #expect(d?["output_line"].map(JSON.serialize) == "2")
            }
        }
    }

    @Test("a template broken on disk is refused; the last good content keeps serving and the status says why")
    func brokenReloadKeepsServing() async throws {
        let h = try Harness()
        let file = h.folder + "/banners/hero.liquid"
        let good = try String(contentsOfFile: file, encoding: .utf8)
        try good.replacingOccurrences(of: "{{ stage }}", with: "{{ stage ").write(toFile: file, atomically: true, encoding: .utf8)
        #expect(h.server.content.reload() == false)
        try await h.test { client in
            try await client.execute(uri: "/v1/placements/home-hero?user_id=1", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.json["html"]?.stringValue?.contains("Stage activation") == true)
            }
            try await client.execute(uri: "/v1/content/status", method: .get) { r in
                #expect(r.json["ok"].map(JSON.serialize) == "false")
                #expect(r.json["generation"].map(JSON.serialize) == "1")
                let error = r.json["errors"]?.arrayValue?.first?.objectValue
                #expect(error?["file"]?.stringValue == "banners/hero.liquid")
                #expect(error?["line"].map(JSON.serialize) == "7")
            }
        }
        // Fixed on disk: the next reload swaps it in.
        try good.replacingOccurrences(of: "Hello", with: "Hey").write(toFile: file, atomically: true, encoding: .utf8)
        #expect(h.server.content.reload())
        try await h.test { client in
            try await client.execute(uri: "/v1/placements/home-hero?user_id=1", method: .get) { r in
                #expect(r.json["html"]?.stringValue?.contains("Hey, there") == true)
            }
            try await client.execute(uri: "/v1/content/status", method: .get) { r in
                #expect(r.json["ok"].map(JSON.serialize) == "true")
                #expect(r.json["generation"].map(JSON.serialize) == "2")
            }
        }
    }

    @Test("a folder emptied on disk (or a wrong path) is refused like a broken load; the last good content keeps serving")
    func emptiedFolderIsRefused() async throws {
        let h = try Harness()
        for folder in ["banners", "emails", "tours", "surveys"] {
            try FileManager.default.removeItem(atPath: h.folder + "/" + folder)
        }
        #expect(h.server.content.reload() == false)
        #expect(h.server.content.status.refused?.first?.message.contains("no templates") == true)
        try await h.test { client in
            try await client.execute(uri: "/v1/placements/home-hero?user_id=1", method: .get) { r in
                #expect(r.status == .ok)
            }
            try await client.execute(uri: "/v1/content/status", method: .get) { r in
                #expect(r.json["ok"].map(JSON.serialize) == "false")
            }
        }
        #expect(throws: ContentError.self) {
            _ = try ContentState(directory: h.folder + "/no-such-folder", logger: Logger(label: "test"))
        }
    }

    @Test("a campaign that fails for a sample profile refuses the reload, at its file and line, as check would")
    func sampleProfilesAreRenderedAtReload() async throws {
        let h = try Harness()
        // The fixture's hero-broken is broken HTML for anyone; with a sample profile to render it for, it is found.
        try FileManager.default.createDirectory(atPath: h.folder + "/profiles", withIntermediateDirectories: true)
        try #"{"id": "s1", "traits": {"name": "Sam", "beta": true}}"#.write(toFile: h.folder + "/profiles/sam.json", atomically: true,
                                                                            encoding: .utf8)
        #expect(h.server.content.reload() == false)
        let refused = try #require(h.server.content.status.refused)
        // At the template line and column of the offending tag, with its place in the output beside.
        #expect(refused.contains {
            $0.file == "banners/hero-broken.liquid" && $0.line == 8 && $0.column == 9 && $0.kind == .html
                && $0.output == SourceLocation(file: nil, line: 1, column: 9) && $0.message.contains("for the sample profile sam")
        }, "\(refused)")
        #expect(h.server.content.current.generation == 1)
    }

    @Test("a placement default that does not validate refuses the content (it is checked at load)")
    func brokenDefault() async throws {
        let h = try Harness()
        let file = h.folder + "/banners/hero-default.liquid"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(of: "</h2>", with: "</h3>").write(toFile: file, atomically: true, encoding: .utf8)
        #expect(h.server.content.reload() == false)
        let refused = try #require(h.server.content.status.refused)
        #expect(refused.contains { $0.file == "banners/hero-default.liquid" && $0.message.contains("the default of home-hero") })
    }

    @Test("the watcher picks up a change on disk by itself")
    func watcher() async throws {
        let h = try Harness()
        let watcher = ContentWatcher(state: h.server.content, interval: .milliseconds(50))
        let task = Task { try await watcher.run() }
        defer { task.cancel() }
        try await Task.sleep(for: .milliseconds(120))
        let file = h.folder + "/banners/hero.liquid"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(of: "Hello", with: "Howdy").write(toFile: file, atomically: true, encoding: .utf8)
        var generation = 1
        for _ in 0..<100 where generation == 1 {
            try await Task.sleep(for: .milliseconds(50))
            generation = h.server.content.current.generation
        }
        #expect(generation == 2)
        #expect(try h.server.content.current.content.messages["banners/hero"]?.template.render() != nil)
    }

    @Test("content index, files, OpenAPI document, readiness")
    func index() async throws {
        let h = try Harness()
        try await h.test { client in
            try await client.execute(uri: "/v1/content", method: .get) { r in
                let placements = r.json["placements"]?.arrayValue?.compactMap { $0.objectValue?["name"]?.stringValue }
                #expect(placements == ["footer", "home-hero", "sidebar"])
                #expect(r.json["stages"]?.arrayValue?.count == 2)
            }
            try await client.execute(uri: "/v1/content/files/banners/side.liquid", method: .get) { r in
                #expect(r.text.hasPrefix("---\ncampaign: side-trial"))
            }
            try await client.execute(uri: "/openapi.json", method: .get) { r in
                #expect(r.json["openapi"]?.stringValue == "3.1.0")
                let paths = r.json["paths"]?.objectValue?.keys ?? []
                for p in ["/v1/placements/{placement}", "/v1/decide", "/v1/tours/{tour}", "/v1/emails/{template}/render",
                          "/v1/messages/{template}/render",
                          "/v1/profiles/{id}", "/v1/events", "/v1/interactions", "/v1/preview", "/v1/content", "/v1/content/status"] {
                    #expect(paths.contains(p), "\(p) is described")
                }
            }
            try await client.execute(uri: "/readyz", method: .get) { r in #expect(r.status == .ok) }
        }
    }
}
