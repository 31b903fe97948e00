import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Liquid
import StagecraftServer
import Storage
import Testing

private let keys = AccessKeys(secretKeys: ["sk_id"], publishableKeys: ["pk_id"])
private let hash = AccessKeys.identityHash(of: "ada", secret: "sk_id")
private let secret: HTTPFields = [.authorization: "Bearer sk_id", .contentType: "application/json"]
private let browser: HTTPFields = [HTTPField.Name("X-Stagecraft-Key")!: "pk_id", .contentType: "application/json"]

private func post(_ client: any TestClientProtocol, _ path: String, _ body: String, _ headers: HTTPFields = browser) async throws -> TestResponse {
    try await client.execute(uri: path, method: .post, headers: headers, body: jsonBody(body))
}

/// The campaign a slot shows the signed-in Ada, or the reason it shows nothing.
private func slot(_ client: any TestClientProtocol, _ placement: String, as who: String = "user_id=ada&user_hash=\(hash)") async throws -> String {
    let r = try await client.execute(uri: "/v1/placements/\(placement)?\(who)", method: .get, headers: browser)
    if r.status == .noContent { return "none: " + (r.headers[HTTPField.Name("X-Stagecraft-Reason")!] ?? "") }
    return r.json["campaign"]?.stringValue ?? "status \(r.status.code)"
}

@Suite("Identity: a visitor who signs in is one person")
struct IdentityTests {
    @Test("a banner dismissed and a survey answered before signing in stay so after; undone, they are the visitor's again")
    func mergeAndUndo() async throws {
        let h = try Harness(keys: keys)
        try await h.test { client in
            _ = try await client.execute(uri: "/v1/profiles/ada", method: .put, headers: secret, body: jsonBody(#"{"traits":{"name":"Ada"}}"#))
            _ = try await client.execute(uri: "/v1/profiles/bob", method: .put, headers: secret, body: jsonBody(#"{"traits":{}}"#))
            #expect(try await post(client, "/v1/interactions", #"{"anonymous_id":"v-9","campaign":"hero-main","kind":"dismiss"}"#).status == .created)
            #expect(try await post(client, "/v1/interactions", #"{"anonymous_id":"v-9","campaign":"nps","kind":"answer","answer":9}"#).status == .created)
            #expect(try await slot(client, "home-hero") == "hero-main")
            #expect(try await slot(client, "footer") == "nps")

            let merged = try await post(client, "/v1/identify", #"{"anonymous_id":"v-9","user_id":"ada","user_hash":"\#(hash)"}"#)
            #expect(merged.status == .ok)
            #expect(merged.text == #"{"anonymous_id":"v-9","user_id":"ada","linked_at":"2026-11-23T10:00:00Z","already_linked":false,"moved":{"events":1,"interactions":2,"traits":0}}"#)
            #expect(try await slot(client, "home-hero") == "hero-house", "dismissed before signing in: the default shows")
            #expect(try await slot(client, "footer") == "none: dismissed", "answered before: not asked again")
            // The anonymous id is Ada from now on, for reads and writes.
            #expect(try await slot(client, "home-hero", as: "anonymous_id=v-9") == "hero-house")
            #expect(try await post(client, "/v1/interactions", #"{"anonymous_id":"v-9","campaign":"side-trial","kind":"click"}"#).status == .created)
            #expect(try await h.store.history(userId: "ada").interactions.count == 3)
            // Linking again is harmless.
            let again = try await post(client, "/v1/identify", #"{"anonymous_id":"v-9","user_id":"ada","user_hash":"\#(hash)"}"#)
            #expect(again.status == .ok && again.json["already_linked"].map(JSON.serialize) == "true")

            // Undone by the server: the visitor's dismissal and answer are its own again.
            #expect(try await client.execute(uri: "/v1/identify/v-9", method: .delete, headers: browser).status == .forbidden)
            let undone = try await client.execute(uri: "/v1/identify/v-9", method: .delete, headers: secret)
            #expect(undone.status == .ok)
            #expect(undone.json["moved"].map(JSON.serialize) == #"{"events":1,"interactions":2,"traits":0}"#)
            #expect(try await slot(client, "home-hero") == "hero-main")
            #expect(try await slot(client, "home-hero", as: "anonymous_id=v-9") == "hero-house")
            let twice = try await client.execute(uri: "/v1/identify/v-9", method: .delete, headers: secret)
            #expect(twice.status == .notFound && twice.problemCode == "unknown_identity")
        }
    }

    @Test("an export is everything kept about the person as one document, merged visitors included; after DELETE, nothing")
    func export() async throws {
        let h = try Harness(keys: keys)
        try await h.test { client in
            let missing = try await client.execute(uri: "/v1/profiles/ada/export", method: .get, headers: secret)
            #expect(missing.status == .notFound && missing.problemCode == "unknown_profile")
            _ = try await client.execute(uri: "/v1/profiles/ada", method: .put, headers: secret, body: jsonBody(#"{"traits":{"name":"Ada"}}"#))
            _ = try await post(client, "/v1/interactions", #"{"anonymous_id":"v-3","campaign":"nps","kind":"answer","answer":7}"#)
            _ = try await post(client, "/v1/identify", #"{"anonymous_id":"v-3","user_id":"ada"}"#, secret)
            _ = try await post(client, "/v1/events", #"{"events":[{"user_id":"ada","name":"signed_in","message_id":"m-1"}]}"#, secret)
            #expect(try await client.execute(uri: "/v1/profiles/ada/export", method: .get, headers: browser).status == .forbidden)
            let r = try await client.execute(uri: "/v1/profiles/ada/export", method: .get, headers: secret)
            #expect(r.status == .ok)
            #expect(r.headers[.contentDisposition] == #"attachment; filename="stagecraft-export.json""#)
            #expect(r.json["profile"]?.objectValue?["traits"].map(JSON.serialize) == #"{"name":"Ada"}"#)
            #expect(r.json["events"].map(JSON.serialize) == """
                [{"name":"survey_answered","time":"2026-11-23T10:00:00Z","properties":{"campaign":"nps","answer":7,"nps_category":"passive"},"message_id":null,"merged_from":"v-3"},\
                {"name":"signed_in","time":"2026-11-23T10:00:00Z","properties":{},"message_id":"m-1","merged_from":null}]
                """)
            #expect(r.json["answers"].map(JSON.serialize) == #"[{"campaign":"nps","time":"2026-11-23T10:00:00Z","answer":7}]"#)
            #expect(r.json["interactions"]?.arrayValue?.first?.objectValue?["merged_from"]?.stringValue == "v-3")
            #expect(r.json["merged_identities"].map(JSON.serialize) == #"[{"anonymous_id":"v-3","linked_at":"2026-11-23T10:00:00Z"}]"#)
            #expect(try await client.execute(uri: "/v1/profiles/ada", method: .delete, headers: secret).status == .noContent)
            #expect(try await client.execute(uri: "/v1/profiles/ada/export", method: .get, headers: secret).status == .notFound)
        }
    }

    @Test("bad merges are problems that change nothing")
    func refused() async throws {
        let h = try Harness(keys: keys)
        try await h.test { client in
            _ = try await client.execute(uri: "/v1/profiles/ada", method: .put, headers: secret, body: jsonBody(#"{"traits":{}}"#))
            _ = try await client.execute(uri: "/v1/profiles/bob", method: .put, headers: secret, body: jsonBody(#"{"traits":{}}"#))
            _ = try await post(client, "/v1/interactions", #"{"anonymous_id":"v-1","campaign":"hero-main","kind":"dismiss"}"#)
            let cases: [(String, HTTPFields, HTTPResponse.Status, String)] = [
                (#"{"anonymous_id":"v-1","user_id":"ada"}"#, browser, .forbidden, "identity_unverified"),
                (#"{"anonymous_id":"v-1","user_id":"ada","user_hash":"\#(String(repeating: "0", count: 64))"}"#, browser, .forbidden, "identity_unverified"),
                (#"{"anonymous_id":"ada","user_id":"ada"}"#, secret, .unprocessableContent, "invalid_field"),
                (#"{"anonymous_id":"v-1","user_id":"nobody"}"#, secret, .notFound, "unknown_profile"),
                (#"{"anonymous_id":"v-1"}"#, secret, .unprocessableContent, "missing_field"),
                (#"{"anonymous_id":"","user_id":"ada"}"#, secret, .unprocessableContent, "invalid_field"),
                (#"{"anonymous_id":"v-1","user_id":"ada","extra":1}"#, secret, .unprocessableContent, "unknown_field"),
            ]
            for (body, headers, status, code) in cases {
                let r = try await post(client, "/v1/identify", body, headers)
                #expect(r.status == status, "\(body)")
                #expect(r.problemCode == code, "\(body)")
            }
            #expect(try await h.store.linkedUser(anonymous: "anon:v-1") == nil)
            #expect(try await h.store.history(userId: "anon:v-1").interactions.count == 1)

            // Merged into Ada, the visitor cannot be merged into Bob as well (a chain): a 409 that names Ada to servers only.
            #expect(try await post(client, "/v1/identify", #"{"anonymous_id":"v-1","user_id":"ada"}"#, secret).status == .ok)
            let chain = try await post(client, "/v1/identify", #"{"anonymous_id":"v-1","user_id":"bob"}"#, secret)
            #expect(chain.status == .conflict && chain.problemCode == "already_identified")
            #expect(chain.json["user_id"]?.stringValue == "ada")
            let bobHash = AccessKeys.identityHash(of: "bob", secret: "sk_id")
            let fromBrowser = try await post(client, "/v1/identify", #"{"anonymous_id":"v-1","user_id":"bob","user_hash":"\#(bobHash)"}"#)
            #expect(fromBrowser.status == .conflict && fromBrowser.json["user_id"] == nil)
            #expect(try await h.store.history(userId: "bob").interactions.isEmpty)
        }
    }
}
