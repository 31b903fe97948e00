import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Liquid
import Personalization
import StagecraftServer
import Storage
import Testing

@Suite("Blocks, decisions, tours")
struct BlockTests {
    @Test("a placement answers its winner as JSON, or as the bare fragment for text/html")
    func placement() async throws {
        let h = try Harness()
        _ = try await h.store.saveProfile(id: "42", traits: .replace(LiquidObject([("name", "Ada")])), timeZone: nil, at: fixedNow)
        try await h.test { client in
            try await client.execute(uri: "/v1/placements/home-hero?user_id=42", method: .get) { r in
                #expect(r.status == .ok)
                let o = r.json
                #expect(o["campaign"]?.stringValue == "hero-main")
                #expect(o["source"]?.stringValue == "winner")
                #expect(o["stage"]?.stringValue == "activation")
                #expect(o["ttl"].map(JSON.serialize) == "60")
                #expect(o["html"]?.stringValue?.contains("Hello, Ada") == true)
                #expect(r.headers[.cacheControl] == "no-store")
            }
            try await client.execute(uri: "/v1/placements/home-hero?anonymous_id=v-1", method: .get,
                                     headers: [.accept: "text/html"]) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "text/html; charset=utf-8")
                #expect(r.text.hasPrefix("<section class=\"hero\"><h2>Hello, there</h2>"))
                #expect(r.headers[HTTPField.Name("X-Stagecraft-Campaign")!] == "hero-main")
            }
            // Nothing for an activation user in the revenue-only sidebar: 204 with the reason.
            try await client.execute(uri: "/v1/placements/sidebar?user_id=42", method: .get) { r in
                #expect(r.status == .noContent)
                #expect(r.headers[HTTPField.Name("X-Stagecraft-Reason")!] == "stage")
                #expect(r.body.readableBytes == 0)
            }
            try await client.execute(uri: "/v1/placements/home-heor?user_id=42", method: .get) { r in
                #expect(r.status == .notFound)
                #expect(r.problemCode == "unknown_placement")
                #expect(r.json["detail"]?.stringValue?.contains("did you mean \"home-hero\"") == true)
            }
            try await client.execute(uri: "/v1/placements/home-hero", method: .get) { r in
                #expect(r.status == .unprocessableContent)
                #expect(r.problemCode == "missing_field")
            }
        }
    }

    @Test("user data is escaped in every block")
    func escaping() async throws {
        let h = try Harness()
        _ = try await h.store.saveProfile(id: "x", traits: .replace(LiquidObject([("name", "<img src=x onerror=alert(1)>")])),
                                          timeZone: nil, at: fixedNow)
        try await h.test { client in
            try await client.execute(uri: "/v1/placements/home-hero?user_id=x", method: .get) { r in
                let html = r.json["html"]?.stringValue ?? ""
                #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;"))
                #expect(!html.contains("<img"))
            }
        }
    }

    @Test("a winner whose HTML does not validate is not sent: the next eligible campaign is, and the metrics say why")
    func brokenWinnerFallsBack() async throws {
        let h = try Harness()
        _ = try await h.store.saveProfile(id: "beta", traits: .replace(LiquidObject([("beta", true)])), timeZone: nil, at: fixedNow)
        try await h.test { client in
            try await client.execute(uri: "/v1/placements/home-hero?user_id=beta", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.json["campaign"]?.stringValue == "hero-main")
                #expect(r.json["source"]?.stringValue == "fallback")
            }
            try await client.execute(uri: "/metrics", method: .get) { r in
                #expect(r.text.contains(#"stagecraft_validation_failures_total{channel="banner"} 1"#))
                #expect(r.text.contains(#"stagecraft_renders_total{channel="banner",outcome="invalid_html"} 1"#))
                #expect(r.text.contains(#"stagecraft_fallbacks_total{placement="home-hero",served_by="fallback"} 1"#))
                #expect(r.text.contains(#"stagecraft_requests_total{route="/v1/placements/{placement}",method="GET",status="200"}"#))
            }
        }
    }

    @Test("a dismissal keeps the block away; the placement's default takes its slot")
    func dismissal() async throws {
        let h = try Harness()
        try await h.test { client in
            try await client.execute(uri: "/v1/interactions", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"user_id":"d1","campaign":"hero-main","kind":"dismiss","placement":"home-hero"}"#)) { r in
                #expect(r.status == .created)
            }
            try await client.execute(uri: "/v1/placements/home-hero?user_id=d1", method: .get) { r in
                #expect(r.json["campaign"]?.stringValue == "hero-house")
                #expect(r.json["source"]?.stringValue == "default")
            }
        }
        #expect(try await h.store.history(userId: "d1").interactions.map(\.kind) == [.dismiss])
    }

    @Test("decide fills several slots in one call")
    func decideMany() async throws {
        let h = try Harness()
        _ = try await h.store.saveProfile(id: "t", traits: .replace(LiquidObject([("plan", "trial"), ("trial_days_left", 3)])),
                                          timeZone: nil, at: fixedNow)
        try await h.test { client in
            try await client.execute(uri: "/v1/decide", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"user_id":"t","placements":["home-hero","sidebar","footer"],"context":{"page":"/home"}}"#)) { r in
                #expect(r.status == .ok)
                #expect(r.json["stage"]?.stringValue == "revenue")
                let blocks = try #require(r.json["blocks"]?.objectValue)
                #expect(blocks.keys == ["home-hero", "sidebar", "footer"])
                #expect(blocks["home-hero"]?.objectValue?["campaign"]?.stringValue == "hero-main")
                #expect(blocks["sidebar"]?.objectValue?["html"]?.stringValue == "<aside>3 days left</aside>")
                #expect(blocks["footer"]?.objectValue?["campaign"]?.stringValue == "nps")
            }
            try await client.execute(uri: "/v1/decide", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"user_id":"t","placements":["home-hero","nope"]}"#)) { r in
                #expect(r.status == .notFound)
                #expect(r.problemCode == "unknown_placement")
            }
            try await client.execute(uri: "/v1/decide", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"user_id":"t","placement":["home-hero"]}"#)) { r in
                #expect(r.status == .unprocessableContent)
                #expect(r.problemCode == "unknown_field")
                #expect(r.json["detail"]?.stringValue?.contains("did you mean \"placements\"") == true)
            }
        }
    }

    @Test("a tour gives each user the steps meant for them")
    func tour() async throws {
        let h = try Harness()
        _ = try await h.store.saveProfile(id: "admin", traits: .replace(LiquidObject([("name", "Ana"), ("role", "admin")])), timeZone: nil, at: fixedNow)
        _ = try await h.store.saveProfile(id: "member", traits: .replace(LiquidObject([("name", "Mo"), ("role", "member")])), timeZone: nil, at: fixedNow)
        try await h.test { client in
            try await client.execute(uri: "/v1/tours/setup-tour?user_id=admin", method: .get) { r in
                let steps = r.json["steps"]?.arrayValue ?? []
                #expect(steps.count == 2)
                #expect(steps.first?.objectValue?["target"]?.stringValue == "#new-project")
                #expect(steps.last?.objectValue?["position"]?.stringValue == "left")
                #expect(steps.first?.objectValue?["html"]?.stringValue?.contains("Start here, Ana") == true)
                #expect(steps.last?.objectValue?["html"]?.stringValue?.contains("2/2") == true)
            }
            try await client.execute(uri: "/v1/tours/setup?user_id=member", method: .get) { r in
                let steps = r.json["steps"]?.arrayValue ?? []
                #expect(steps.map { $0.objectValue?["target"]?.stringValue } == ["#new-project"])
                #expect(steps.first?.objectValue?["html"]?.stringValue?.contains("1/1") == true)
            }
            try await client.execute(uri: "/v1/tours/onboarding?user_id=member", method: .get) { r in
                #expect(r.status == .notFound)
                #expect(r.problemCode == "unknown_tour")
            }
        }
    }
}

@Suite("Emails")
struct EmailTests {
    @Test("an email for a stored user: subject, preheader, HTML, text, List-Unsubscribe, eligibility")
    func stored() async throws {
        let h = try Harness()
        _ = try await h.store.saveProfile(id: "u 1", traits: .replace(LiquidObject([("name", "Zoë"), ("plan", "trial"), ("trial_days_left", 2)])),
                                          timeZone: nil, at: fixedNow)
        try await h.test { client in
            try await client.execute(uri: "/v1/emails/trial/render", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"user_id":"u 1"}"#)) { r in
                #expect(r.status == .ok)
                let o = r.json
                #expect(o["subject"]?.stringValue == "Zoë, your trial ends soon")
                #expect(o["preheader"]?.stringValue == "Keep your projects")
                #expect(o["eligible"].map(JSON.serialize) == "true")
                #expect(o["text"]?.stringValue == "Hi Zoë\n======\n\nYour trial ends in 2 days.\n\nUpgrade (https://northwind.example/upgrade)\n")
                let headers = try #require(o["headers"]?.objectValue)
                #expect(headers["List-Unsubscribe"]?.stringValue == "<https://northwind.example/u?id=u+1>")
                #expect(headers["List-Unsubscribe-Post"]?.stringValue == "List-Unsubscribe=One-Click")
            }
            // An inline profile in the wrong stage renders, and says it would not be sent now.
            try await client.execute(uri: "/v1/emails/emails/trial/render", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"profile":{"id":"p","traits":{"name":"<b>x</b>"}}}"#)) { r in
                #expect(r.status == .ok)
                #expect(r.json["eligible"].map(JSON.serialize) == "false")
                #expect(r.json["rejection"]?.objectValue?["reason"]?.stringValue == "stage")
                #expect(r.json["html"]?.stringValue?.contains("Hi &lt;b&gt;x&lt;/b&gt;") == true)
            }
            try await client.execute(uri: "/v1/emails/trial/render", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"user_id":"nobody"}"#)) { r in
                #expect(r.status == .notFound)
                #expect(r.problemCode == "unknown_profile")
            }
            try await client.execute(uri: "/v1/emails/trail/render", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"user_id":"u 1"}"#)) { r in
                #expect(r.status == .notFound)
                #expect(r.problemCode == "unknown_template")
            }
        }
    }

    @Test("POST /v1/messages/{template}/render serves every channel: a push's fields, an email as its own route does, a banner")
    func messages() async throws {
        var files = Fixture.files
        files["push/trial.liquid"] = """
            ---
            campaign: push-trial
            channel: push
            stages: [revenue]
            window: { from: "09:00", to: "20:00" }
            caps: [{ max: 1, per: day }]
            title: "{{ user.name | strip_html | default: 'Hi' }}, {{ user.trial_days_left }} days left"
            body: "Keep your projects & reports."
            url: "northwind://billing"
            ---
            """
        let h = try Harness(files: files)
        _ = try await h.store.saveProfile(id: "u 1", traits: .replace(LiquidObject([("name", "Zoë"), ("plan", "trial"), ("trial_days_left", 2)])),
                                          timeZone: nil, at: fixedNow)
        try await h.test { client in
            try await client.execute(uri: "/v1/messages/push/trial/render", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"user_id":"u 1","at":"2026-11-23T10:00:00Z","id":7}"#)) { r in
                #expect(r.status == .ok)
                #expect(r.json["channel"]?.stringValue == "push")
                #expect(r.json["id"].map(JSON.serialize) == "7")
                #expect(r.json["fields"].map(JSON.serialize)
                    == #"{"title":"Zoë, 2 days left","body":"Keep your projects & reports.","url":"northwind://billing"}"#)
                #expect(r.json["eligible"].map(JSON.serialize) == "true")
            }
            // By campaign id, outside its window: rendered, and not eligible now.
            try await client.execute(uri: "/v1/messages/push-trial/render", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"user_id":"u 1","at":"2026-11-23T23:00:00Z"}"#)) { r in
                #expect(r.status == .ok)
                #expect(r.json["eligible"].map(JSON.serialize) == "false")
                #expect(r.json["rejection"]?.objectValue?["reason"]?.stringValue == "time_window")
            }
            // Markup from the profile stops the notification with the check's finding.
            try await client.execute(uri: "/v1/messages/push/trial/render", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"profile":{"id":"p","traits":{"plan":"trial","trial_days_left":"<b>2</b>"}}}"#)) { r in
                #expect(r.status == .unprocessableContent)
                #expect(r.problemCode == "render_failed")
                #expect(r.json["reason"]?.stringValue == "invalid_output")
                #expect(r.json["diagnostics"]?.arrayValue?.first?.objectValue?["code"]?.stringValue == "push-markup")
            }
            // An email through the messages route is the email route's answer, with its channel named.
            let viaEmails = try await client.execute(uri: "/v1/emails/trial/render", method: .post, headers: jsonHeaders,
                                                     body: jsonBody(#"{"user_id":"u 1","at":"2026-11-23T10:00:00Z"}"#)) { r in r.json }
            try await client.execute(uri: "/v1/messages/emails/trial/render", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"user_id":"u 1","at":"2026-11-23T10:00:00Z"}"#)) { r in
                #expect(r.status == .ok)
                var o = r.json
                #expect(o["channel"]?.stringValue == "email")
                o["channel"] = nil
                #expect(JSON.serialize(.object(o)) == JSON.serialize(.object(viaEmails)))
            }
            try await client.execute(uri: "/v1/messages/banners/hero/render", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"user_id":"u 1"}"#)) { r in
                #expect(r.status == .ok)
                #expect(r.json["channel"]?.stringValue == "banner")
                #expect(r.json["html"]?.stringValue?.isEmpty == false)
            }
            // A survey carries its question as its served block does; a tour its steps, with `data` for its templates.
            try await client.execute(uri: "/v1/messages/surveys/nps/render", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"user_id":"u 1"}"#)) { r in
                #expect(r.status == .ok)
                #expect(r.json["survey"]?.objectValue?["question"]?.stringValue == "How likely are you to recommend us?")
                #expect(r.json["html"]?.stringValue?.contains("<button name=\"score\" value=\"10\">10</button>") == true)
            }
            try await client.execute(uri: "/v1/messages/setup-tour/render", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"profile":{"id":"p","traits":{"name":"Bo","role":"admin"}}}"#)) { r in
                #expect(r.status == .ok)
                #expect(r.json["channel"]?.stringValue == "tour")
                #expect(r.json["steps"]?.arrayValue?.count == 2)
            }
            try await client.execute(uri: "/v1/messages/push/trail/render", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"user_id":"u 1"}"#)) { r in
                #expect(r.status == .notFound)
                #expect(r.problemCode == "unknown_template")
                #expect(r.json["detail"]?.stringValue?.contains("did you mean \"push/trial\"") == true)
            }
        }
    }

    @Test("NDJSON in, NDJSON out: each line answered in order, a bad line does not stop the rest")
    func batch() async throws {
        let h = try Harness()
        var lines: [String] = []
        for i in 0..<300 { lines.append(#"{"id":\#(i),"profile":{"id":"b\#(i)","traits":{"name":"N\#(i)","plan":"trial"}}}"#) }
        lines.insert("{oops", at: 10)
        lines.insert(#"{"user_id":"missing"}"#, at: 20)
        let body = lines.joined(separator: "\n") + "\n"
        try await h.test { client in
            try await client.execute(uri: "/v1/emails/trial/render", method: .post, headers: [.contentType: "application/x-ndjson"],
                                     body: jsonBody(body)) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "application/x-ndjson")
                let out = r.text.split(separator: "\n").map { (try? JSON.parse(String($0)))?.objectValue ?? LiquidObject() }
                #expect(out.count == 302)
                #expect(out.map { $0["line"].map(JSON.serialize) } == (1...302).map { String($0) })
                #expect(out[10]["error"]?.objectValue?["code"]?.stringValue == "invalid_json")
                #expect(out[20]["error"]?.objectValue?["code"]?.stringValue == "unknown_profile")
                #expect(out[0]["subject"]?.stringValue == "N0, your trial ends soon")
                #expect(out[301]["id"].map(JSON.serialize) == "299")
                #expect(out.filter { $0["error"] != nil }.count == 2)
            }
        }
    }
}

@Suite("Profiles, events, interactions")
struct DataTests {
    @Test("ids are 1 to 256 characters without control characters, counted as characters, not bytes")
    func idBounds() async throws {
        let h = try Harness()
        @Sendable func path(_ id: String) -> String { "/v1/profiles/" + (id.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? id) }
        try await h.test { client in
            // 256 two-byte characters (512 bytes) is an id; 257 characters, or a control character, is not.
            try await client.execute(uri: path(String(repeating: "é", count: 256)), method: .put, headers: jsonHeaders,
                                     body: jsonBody(#"{"traits":{}}"#)) { r in #expect(r.status == .created) }
            for bad in [String(repeating: "a", count: 257), "a\u{1}b"] {
                try await client.execute(uri: path(bad), method: .put, headers: jsonHeaders, body: jsonBody(#"{"traits":{}}"#)) { r in
                    #expect(r.status == .unprocessableContent)
                    #expect(r.problemCode == "invalid_field")
                }
            }
            let long = String(repeating: "a", count: 257)
            try await client.execute(uri: "/v1/events", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"events":[{"user_id":"\#(long)","name":"x"}]}"#)) { r in
                #expect(r.status == .unprocessableContent)
                #expect(r.problemCode == "invalid_field")
            }
            // A whole number is an id, as its decimal text (42.0 too, as JSON numbers carry no type); 1.5 is not.
            try await client.execute(uri: "/v1/events", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"events":[{"user_id":42.0,"name":"x"},{"user_id":43,"name":"x"}]}"#)) { r in
                #expect(r.status == .ok)
                #expect(r.json["accepted"].map(JSON.serialize) == "2")
            }
            try await client.execute(uri: "/v1/events", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"events":[{"user_id":1.5,"name":"x"}]}"#)) { r in
                #expect(r.status == .unprocessableContent)
            }
            #expect(try await h.store.events(userId: "42", limit: 10).count == 1)
        }
    }

    @Test("PUT creates then replaces, PATCH merges, GET reads with the stage, DELETE forgets everything")
    func profileLifecycle() async throws {
        let h = try Harness()
        try await h.test { client in
            try await client.execute(uri: "/v1/profiles/ada", method: .put, headers: jsonHeaders,
                                     body: jsonBody(#"{"traits":{"name":"Ada","plan":"trial","prefs":{"a":1}},"time_zone":"Europe/London"}"#)) { r in
                #expect(r.status == .created)
                #expect(r.headers[.location] == "/v1/profiles/ada")
            }
            try await client.execute(uri: "/v1/profiles/ada", method: .patch, headers: jsonHeaders,
                                     body: jsonBody(#"{"traits":{"plan":null,"prefs":{"b":2}}}"#)) { r in
                #expect(r.status == .ok)
                #expect(r.json["traits"].map(JSON.serialize) == #"{"name":"Ada","prefs":{"a":1,"b":2}}"#)
                #expect(r.json["time_zone"]?.stringValue == "Europe/London")
            }
            try await client.execute(uri: "/v1/events", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"events":[{"user_id":"ada","name":"signed_in","time":"2026-11-22T09:00:00Z"},{"user_id":"ada","name":"viewed","message_id":"m-1"}]}"#)) { r in
                #expect(r.status == .ok)
                #expect(r.json["accepted"].map(JSON.serialize) == "2")
            }
            try await client.execute(uri: "/v1/profiles/ada", method: .get) { r in
                #expect(r.json["stage"]?.stringValue == "activation")
                #expect(r.json["created_at"]?.stringValue == "2026-11-23T10:00:00Z")
            }
            try await client.execute(uri: "/v1/profiles/ada", method: .put, headers: jsonHeaders,
                                     body: jsonBody(#"{"traits":{"name":"Ada L."}}"#)) { r in
                #expect(r.status == .ok)
                #expect(r.json["time_zone"].map(JSON.serialize) == "null")
            }
            try await client.execute(uri: "/v1/profiles/ada", method: .delete) { r in #expect(r.status == .noContent) }
            try await client.execute(uri: "/v1/profiles/ada", method: .get) { r in
                #expect(r.status == .notFound)
                #expect(r.problemCode == "unknown_profile")
            }
            try await client.execute(uri: "/v1/profiles/ada", method: .delete) { r in #expect(r.status == .notFound) }
        }
        #expect(try await h.store.events(userId: "ada", limit: 10).isEmpty)
    }

    @Test("ids in the path are percent-decoded: the profile is the one events and decisions name")
    func encodedIds() async throws {
        let h = try Harness()
        let id = #"u 1/"><b>"#
        try await h.test { client in
            try await client.execute(uri: "/v1/profiles/u%201%2F%22%3E%3Cb%3E", method: .put, headers: jsonHeaders,
                                     body: jsonBody(#"{"traits":{"name":"Ada"}}"#)) { r in
                #expect(r.status == .created)
                #expect(r.json["id"]?.stringValue == id)
                #expect(r.headers[.location] == "/v1/profiles/u%201%2F%22%3E%3Cb%3E")
            }
            try await client.execute(uri: "/v1/placements/home-hero?user_id=u%201%2F%22%3E%3Cb%3E", method: .get) { r in
                #expect(r.json["html"]?.stringValue?.contains("Hello, Ada") == true)
            }
            try await client.execute(uri: "/v1/profiles/u%201%2F%22%3E%3Cb%3E", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.json["traits"].map(JSON.serialize) == #"{"name":"Ada"}"#)
            }
            try await client.execute(uri: "/v1/profiles/bad%FF", method: .get) { r in
                #expect(r.status == .unprocessableContent)
                #expect(r.problemCode == "invalid_path")
            }
        }
        #expect(try await h.store.profileRecord(id: id) != nil)
    }

    @Test(arguments: [
        (#"{"anonymous_id":"v1","campaign":"hero-main","kind":"click","time":"9999-12-31T23:59:59Z"}"#, "time"),
        (#"{"anonymous_id":"v1","campaign":"hero-main","kind":"click","time":"1900-01-01T00:00:00Z"}"#, "time"),
        (#"{"anonymous_id":"v1","campaign":"hero-main","kind":"click","placement":"\#(String(repeating: "p", count: 60_000))"}"#, "placement"),
        (#"{"anonymous_id":"v1","campaign":"hero-main","kind":"click","variant":"\#(String(repeating: "v", count: 300))"}"#, "variant"),
    ])
    func anInteractionOutOfBoundsIsRefused(_ body: String, _ field: String) async throws {
        let h = try Harness()
        try await h.test { client in
            try await client.execute(uri: "/v1/interactions", method: .post, headers: jsonHeaders, body: jsonBody(body)) { r in
                #expect(r.status == .unprocessableContent)
                #expect(r.problemCode == "invalid_field")
                #expect(r.json["field"]?.stringValue == field)
            }
        }
        #expect(try await h.store.history(userId: "anon:v1").interactions.isEmpty)
    }

    @Test(arguments: [
        ("/v1/placements/home-hero", HTTPRequest.Method.delete, "GET"),
        ("/v1/profiles/a", .post, "DELETE, GET, PATCH, PUT"),
        ("/v1/decide", .get, "POST"),
        ("/v1/emails/trial/render", .get, "POST"),
    ])
    func aWrongMethodOnAKnownPathIs405WithAllow(_ path: String, _ method: HTTPRequest.Method, _ allow: String) async throws {
        let h = try Harness()
        try await h.test { client in
            try await client.execute(uri: path, method: method) { r in
                #expect(r.status == .methodNotAllowed)
                #expect(r.problemCode == "method_not_allowed")
                #expect(r.headers[.allow] == allow)
            }
            try await client.execute(uri: "/v1/nothing-here", method: method) { r in #expect(r.status == .notFound) }
        }
    }

    @Test("a survey answer is kept in the ledger and as an event")
    func answer() async throws {
        let h = try Harness()
        try await h.test { client in
            try await client.execute(uri: "/v1/interactions", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"anonymous_id":"v9","campaign":"nps","kind":"answer","answer":9,"placement":"footer"}"#)) { r in
                #expect(r.status == .created)
            }
            try await client.execute(uri: "/v1/interactions", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"anonymous_id":"v9","campaign":"nps","kind":"answer"}"#)) { r in
                #expect(r.status == .unprocessableContent)
                #expect(r.problemCode == "missing_field")
            }
            // An NPS answer is 0 to 10.
            for bad in ["11", "-1", #""great""#] {
                try await client.execute(uri: "/v1/interactions", method: .post, headers: jsonHeaders,
                                         body: jsonBody(#"{"anonymous_id":"v9","campaign":"nps","kind":"answer","answer":\#(bad)}"#)) { r in
                    #expect(r.status == .unprocessableContent)
                    #expect(r.problemCode == "invalid_field")
                }
            }
            // An answered survey does not ask again.
            try await client.execute(uri: "/v1/placements/footer?anonymous_id=v9", method: .get) { r in
                #expect(r.status == .noContent)
                #expect(r.headers[HTTPField.Name("X-Stagecraft-Reason")!] == "dismissed")
            }
            // The block says what it asks, so a page's script can send the answer.
            try await client.execute(uri: "/v1/placements/footer?anonymous_id=v10", method: .get) { r in
                let body = try JSON.parse(String(buffer: r.body))
                #expect(body.objectValue?["survey"]?.objectValue?["kind"]?.stringValue == "nps")
                #expect(body.objectValue?["survey"]?.objectValue?["choices"]?.arrayValue?.count == 11)
                #expect(body.objectValue?["html"]?.stringValue?.contains(#"value="10""#) == true)
            }
            try await client.execute(uri: "/v1/interactions", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"anonymous_id":"v9","campaign":"gone","kind":"click"}"#)) { r in
                #expect(r.status == .notFound)
                #expect(r.problemCode == "unknown_campaign")
            }
        }
        let events = try await h.store.events(userId: "anon:v9", limit: 10)
        #expect(events.map(\.name) == ["survey_answered"])
        #expect(events.first?.properties["answer"].map(JSON.serialize) == "9")
        #expect(events.first?.properties["nps_category"]?.stringValue == "promoter")
        #expect(try await h.store.history(userId: "anon:v9").interactions.count == 1)
    }
}

@Suite("Bad input changes nothing")
struct BadInputTests {
    /// Sends a bad batch of events; expects the status and code, and that nothing was stored.
    func refused(_ body: ByteBuffer, headers: HTTPFields = jsonHeaders, status: HTTPResponse.Status, code: String,
                 harness: Harness? = nil) async throws
    {
        let h = try harness ?? Harness(bodyLimit: 4096, maxBatch: 5)
        try await h.test { client in
            try await client.execute(uri: "/v1/events", method: .post, headers: headers, body: body) { r in
                #expect(r.status == status, "\(r.text)")
                #expect(r.problemCode == code, "\(r.text)")
                #expect(r.json["status"].map(JSON.serialize) == String(status.code))
                #expect(r.json["detail"]?.stringValue?.isEmpty == false)
            }
        }
        #expect(try await h.store.events(userId: "u", limit: 10).isEmpty)
    }

    @Test("malformed JSON") func malformed() async throws {
        try await refused(jsonBody(#"{"events":[{"user_id":"u","name":"a"},]}"#), status: .badRequest, code: "invalid_json")
        // A key given twice: two readers could take different values from one document.
        try await refused(jsonBody(#"{"events":[{"user_id":"u","name":"a","user_id":"v"}]}"#), status: .badRequest, code: "invalid_json")
    }

    @Test("invalid UTF-8") func utf8() async throws {
        var b = ByteBuffer(string: #"{"events":[{"user_id":"u","name":"a"#)
        b.writeBytes([0xC3, 0x28])
        b.writeString(#""}]}"#)
        try await refused(b, status: .badRequest, code: "invalid_utf8")
    }

    @Test("wrong types") func types() async throws {
        try await refused(jsonBody(#"{"events":[{"user_id":"u","name":"a"},{"user_id":"u","name":7}]}"#),
                          status: .unprocessableContent, code: "invalid_field")
        try await refused(jsonBody(#"{"events":{"user_id":"u"}}"#), status: .unprocessableContent, code: "invalid_field")
        try await refused(jsonBody(#"[1,2]"#), status: .badRequest, code: "invalid_json")
        try await refused(jsonBody(#"{"events":[{"user_id":"u","name":"a","time":"yesterday"}]}"#),
                          status: .unprocessableContent, code: "invalid_field")
    }

    @Test("unknown fields") func unknown() async throws {
        try await refused(jsonBody(#"{"events":[{"user_id":"u","nmae":"a"}]}"#), status: .unprocessableContent, code: "missing_field")
        try await refused(jsonBody(#"{"events":[{"user_id":"u","name":"a","propertes":{}}]}"#), status: .unprocessableContent,
                          code: "unknown_field")
    }

    @Test("body over the limit, too many events, wrong media type, empty body") func limits() async throws {
        let big = #"{"events":[{"user_id":"u","name":"a","properties":{"x":""# + String(repeating: "y", count: 5000) + #""}}]}"#
        try await refused(jsonBody(big), status: .contentTooLarge, code: "body_too_large")
        let six = (0..<6).map { _ in #"{"user_id":"u","name":"a"}"# }.joined(separator: ",")
        try await refused(jsonBody(#"{"events":[\#(six)]}"#), status: .contentTooLarge, code: "batch_too_large")
        try await refused(jsonBody(#"{"events":[]}"#), headers: [.contentType: "text/plain"], status: .unsupportedMediaType,
                          code: "unsupported_media_type")
        try await refused(ByteBuffer(), status: .badRequest, code: "empty_body")
    }

    @Test("unknown routes and methods are problems too") func routes() async throws {
        let h = try Harness()
        try await h.test { client in
            try await client.execute(uri: "/v2/placements/x", method: .get) { r in
                #expect(r.status == .notFound)
                #expect(r.problemCode == "not_found")
            }
            try await client.execute(uri: "/v1/profiles/x", method: .put, headers: jsonHeaders, body: jsonBody(#"{"time_zone":"Mars/Olympus"}"#)) { r in
                #expect(r.status == .unprocessableContent)
                #expect(r.json["field"]?.stringValue == "time_zone")
            }
        }
        #expect(try await h.store.profileRecord(id: "x") == nil)
    }
}
