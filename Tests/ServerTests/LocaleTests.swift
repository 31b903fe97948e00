import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Delivery
import Liquid
import Localization
import Testing

/// The user's language through the API: on the profile, in a request's `locale`, from the browser's
/// `Accept-Language`; every answer names the locale it was served in.
@Suite("Locales through the API")
struct LocaleTests {
    static let files = Fixture.files.merging([
        "locales.yml": "default: en\n",
        "locales/en.json": #"{"note": {"title": "Hello {{ name }}", "days": {"one": "{{ count }} day left", "other": "{{ count }} days left"}}}"#,
        "locales/fr.json": #"{"note": {"title": "Bonjour {{ name }}", "days": {"one": "{{ count }} jour restant", "other": "{{ count }} jours restants"}}}"#,
        "banners/note.liquid": """
            ---
            campaign: note
            channel: banner
            placement: note
            ---
            <p>{{ 'note.title' | t: name: user.name }}, {{ 'note.days' | t: count: user.days }}</p>
            """,
    ]) { $1 }

    @Test("a profile's locale is checked, kept canonical, merged and cleared")
    func profileLocale() async throws {
        let h = try Harness(files: Self.files)
        try await h.test { client in
            try await client.execute(uri: "/v1/profiles/p1", method: .put, headers: jsonHeaders,
                                     body: jsonBody(#"{"traits": {"name": "Zoé", "days": 1}, "locale": "fr_ca"}"#)) { r in
                #expect(r.status == .created)
                #expect(r.json["locale"]?.stringValue == "fr-CA")
            }
            try await client.execute(uri: "/v1/profiles/p1", method: .patch, headers: jsonHeaders, body: jsonBody(#"{"traits": {"days": 2}}"#)) { r in
                #expect(r.json["locale"]?.stringValue == "fr-CA")
            }
            try await client.execute(uri: "/v1/placements/note?user_id=p1", method: .get) { r in
                #expect(r.json["locale"]?.stringValue == "fr")
                #expect(r.json["html"]?.stringValue == "<p>Bonjour Zoé, 2 jours restants</p>")
            }
            try await client.execute(uri: "/v1/profiles/p1", method: .put, headers: jsonHeaders,
                                     body: jsonBody(#"{"traits": {}, "locale": "français"}"#)) { r in
                #expect(r.status == .badRequest)
                #expect(r.problemCode == "invalid_locale")
                #expect(r.json["field"]?.stringValue == "locale")
                #expect(r.json["detail"]?.stringValue?.contains("\"français\"") == true)
            }
            try await client.execute(uri: "/v1/profiles/p1", method: .get) { r in
                #expect(r.json["locale"]?.stringValue == "fr-CA", "a refused write changes nothing")
            }
            try await client.execute(uri: "/v1/profiles/p1", method: .put, headers: jsonHeaders, body: jsonBody(#"{"traits": {}}"#)) { r in
                #expect(r.json["locale"].map(JSON.serialize) == "null")
            }
        }
    }

    @Test("the request's locale, then the profile's, then Accept-Language, then the default")
    func requestLocale() async throws {
        let h = try Harness(files: Self.files)
        _ = try await h.store.saveProfile(id: "ar", traits: .replace(LiquidObject([("name", "Layla"), ("days", 3)])), timeZone: nil,
                                          locale: "ar-AE", at: fixedNow)
        _ = try await h.store.saveProfile(id: "none", traits: .replace(LiquidObject([("name", "Sam"), ("days", 1)])), timeZone: nil, at: fixedNow)
        try await h.test { client in
            // No Arabic in this content: English, and the answer says so.
            try await client.execute(uri: "/v1/placements/note?user_id=ar", method: .get) { r in
                #expect(r.json["locale"]?.stringValue == "en")
                #expect(r.json["html"]?.stringValue == "<p>Hello Layla, 3 days left</p>")
            }
            // The page's language wins over the profile's.
            try await client.execute(uri: "/v1/placements/note?user_id=ar&locale=FR", method: .get) { r in
                #expect(r.json["locale"]?.stringValue == "fr")
                #expect(r.json["html"]?.stringValue == "<p>Bonjour Layla, 3 jours restants</p>")
            }
            // A visitor with no locale: the first of the browser's languages the content speaks.
            try await client.execute(uri: "/v1/placements/note?anonymous_id=v1", method: .get,
                                     headers: [.acceptLanguage: "ja, fr-BE;q=0.8, en;q=0.5"]) { r in
                #expect(r.json["locale"]?.stringValue == "fr")
            }
            // A profile's locale wins over the browser's.
            try await client.execute(uri: "/v1/placements/note?user_id=ar", method: .get, headers: [.acceptLanguage: "fr"]) { r in
                #expect(r.json["locale"]?.stringValue == "en")
            }
            try await client.execute(uri: "/v1/placements/note?user_id=none&locale=not_a_tag!", method: .get) { r in
                #expect(r.status == .badRequest)
                #expect(r.problemCode == "invalid_locale")
            }
            try await client.execute(uri: "/v1/decide", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"user_id": "none", "placements": ["note"], "locale": "fr"}"#)) { r in
                #expect(r.json["blocks"]?.objectValue?["note"]?.objectValue?["locale"]?.stringValue == "fr")
            }
            try await client.execute(uri: "/v1/messages/banners/note/render", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"user_id": "none", "locale": "fr-FR"}"#)) { r in
                #expect(r.json["locale"]?.stringValue == "fr")
                #expect(r.json["html"]?.stringValue == "<p>Bonjour Sam, 1 jour restant</p>")
            }
            try await client.execute(uri: "/v1/preview", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"template": "banners/note", "profile_id": "none", "locale": "fr"}"#)) { r in
                #expect(r.json["locale"]?.stringValue == "fr")
            }
            // An inline profile's locale is read like any other: the reader's language, or a 400 naming the field.
            for (uri, body) in [("/v1/preview", #"{"template": "banners/note", "#), ("/v1/messages/banners/note/render", "{")] {
                try await client.execute(uri: uri, method: .post, headers: jsonHeaders,
                                         body: jsonBody(body + #""profile": {"id": "i", "traits": {"name": "Inès", "days": 1}, "locale": "fr_be"}}"#)) { r in
                    #expect(r.json["locale"]?.stringValue == "fr", "\(uri)")
                    let html = uri == "/v1/preview" ? r.json["output"]?.objectValue?["html"] : r.json["html"]
                    #expect(html?.stringValue == "<p>Bonjour Inès, 1 jour restant</p>", "\(uri)")
                }
                for bad in [#""français""#, "12"] {
                    try await client.execute(uri: uri, method: .post, headers: jsonHeaders,
                                             body: jsonBody(body + #""profile": {"id": "i", "traits": {}, "locale": \#(bad)}}"#)) { r in
                        #expect(r.status == .badRequest, "\(uri) \(bad)")
                        #expect(r.problemCode == "invalid_locale")
                        #expect(r.json["field"]?.stringValue == "profile.locale")
                        #expect(r.json["detail"]?.stringValue?.hasPrefix("profile: \"locale\"") == true, "\(r.json["detail"].map(JSON.serialize) ?? "")")
                    }
                }
                try await client.execute(uri: uri, method: .post, headers: jsonHeaders,
                                         body: jsonBody(body + #""profile": {"id": "i", "time_zone": "Mars/Olympus"}}"#)) { r in
                    #expect(r.status == .unprocessableContent)
                    #expect(r.problemCode == "invalid_profile")
                }
            }
        }
    }

    @Test("a survey asks in the reader's language, in its block and in the served survey; answers stay the values")
    func surveyInTheReadersLanguage() async throws {
        let files = Self.files.merging([
            "locales/en.json": #"{"ask": {"q": "How is it going, {{ name }}?", "ok": "Fine", "stuck": "Stuck", "low": "Bad", "high": "Great"}}"#,
            "locales/fr.json": #"{"ask": {"q": "Comment ça se passe, {{ name }} ?", "ok": "Bien", "stuck": "Bloqué", "low": "Mal", "high": "Très bien"}}"#,
            "surveys/check.liquid": """
                ---
                campaign: check
                channel: survey
                placement: check
                question: "{{ 'ask.q' | t: name: user.name }}"
                choices:
                  - { value: fine, label: "{{ 'ask.ok' | t }}" }
                  - { value: stuck, label: "{{ 'ask.stuck' | t }}" }
                  - Other
                ---
                <form data-stagecraft-survey><p>{{ survey.question }}</p>{% for c in survey.choices %}<button name="answer" value="{{ c.value }}">{{ c.label }}</button>{% endfor %}</form>
                """,
            "surveys/rate.liquid": """
                ---
                campaign: rate
                channel: survey
                placement: rate
                question: "{{ 'ask.q' | t: name: user.name }}"
                scale: { from: 1, to: 3 }
                labels: { low: "{{ 'ask.low' | t }}", high: "{{ 'ask.high' | t }}" }
                ---
                <form data-stagecraft-survey><p>{{ survey.question }}</p><small>{{ survey.low }} / {{ survey.high }}</small></form>
                """,
        ]) { $1 }
        let h = try Harness(files: files)
        _ = try await h.store.saveProfile(id: "c", traits: .replace(LiquidObject([("name", "<Camille>")])), timeZone: nil,
                                          locale: "fr-FR", at: fixedNow)
        try await h.test { client in
            try await client.execute(uri: "/v1/placements/check?user_id=c", method: .get) { r in
                #expect(r.status == .ok)
                let survey = r.json["survey"]?.objectValue
                #expect(survey?["question"]?.stringValue == "Comment ça se passe, <Camille> ?")
                let choices = survey?["choices"]?.arrayValue?.compactMap(\.objectValue) ?? []
                #expect(choices.map { $0["value"]?.stringValue ?? "" } == ["fine", "stuck", "Other"])
                #expect(choices.map { $0["label"]?.stringValue ?? "" } == ["Bien", "Bloqué", "Other"])
                #expect(r.json["html"]?.stringValue == #"<form data-stagecraft-survey><p>Comment ça se passe, &lt;Camille&gt; ?</p>"#
                    + #"<button name="answer" value="fine">Bien</button><button name="answer" value="stuck">Bloqué</button>"#
                    + #"<button name="answer" value="Other">Other</button></form>"#)
            }
            try await client.execute(uri: "/v1/placements/rate?user_id=c&locale=en", method: .get) { r in
                let survey = r.json["survey"]?.objectValue
                #expect(survey?["question"]?.stringValue == "How is it going, <Camille>?")
                #expect(survey?["low"]?.stringValue == "Bad" && survey?["high"]?.stringValue == "Great")
            }
            // The answer is the value, whatever language the labels were in.
            try await client.execute(uri: "/v1/interactions", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"user_id":"c","campaign":"check","kind":"answer","answer":"stuck"}"#)) { r in
                #expect(r.status == .created)
            }
            try await client.execute(uri: "/v1/interactions", method: .post, headers: jsonHeaders,
                                     body: jsonBody(#"{"user_id":"c","campaign":"check","kind":"answer","answer":"Bloqué"}"#)) { r in
                #expect(r.status == .unprocessableContent)
            }
        }
    }

    @Test("the embed script's words come in the reader's language: the content's stagecraft.ui keys, English without them")
    func embedWords() async throws {
        var files = Self.files
        files["locales/fr.json"] = #"{"note": {"title": "Bonjour {{ name }}", "days": {"one": "{{ count }} jour", "other": "{{ count }} jours"}}, "stagecraft": {"ui": {"next": "Suivant", "dismiss": "Fermer"}}}"#
        let h = try Harness(files: files)
        try await h.test { client in
            for (locale, next, dismiss) in [("fr", "Suivant", "Fermer"), ("en", "Next", "Dismiss")] {
                try await client.execute(uri: "/v1/decide", method: .post, headers: jsonHeaders,
                                         body: jsonBody(#"{"anonymous_id": "v", "placements": ["note"], "locale": "\#(locale)"}"#)) { r in
                    let ui = r.json["ui"]?.objectValue
                    #expect(ui?["next"]?.stringValue == next && ui?["dismiss"]?.stringValue == dismiss, "\(locale)")
                    // A word the content does not translate is English.
                    #expect(ui?["back"]?.stringValue == "Back" && ui?.count == EmbedWords.english.count)
                }
            }
        }
    }
}
