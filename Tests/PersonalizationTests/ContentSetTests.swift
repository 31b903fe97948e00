@testable import Content
import Foundation
import Liquid
import Testing
@testable import Personalization

@Suite struct ContentSetTests {
    static let stages = """
        fallback: activation
        rules:
          - stage: reengagement
            when: { facts.days_since_last_seen: { $gte: 30 } }
          - stage: revenue
            when: { user.plan: trial }
        """

    static let cartEmail = """
        ---
        campaign: cart-rescue
        channel: email
        stages: [revenue, activation]
        audience: { facts.order_count: { $gte: 0 } }
        priority: 80
        schedule: { start: 2026-01-01, end: 2026-12-31T23:00:00Z }
        window: { from: "09:00", to: "21:00", days: [mon, tue, wed, thu, fri] }
        caps:
          - { max: 1, per: week }
          - { max: 2, per: 30d }
        trigger:
          event: cart_abandoned
          where: { value: { $gt: 100 } }
          delay: 30m
          unless: [purchase]
          expires: 3d
        variants:
          - { key: plain, weight: 1 }
          - { key: story, weight: 3 }
        holdout: 0.1
        dismissal: 7d
        subject: "Still thinking it over, {{ user.first_name }}?"
        ---
        <p>Hello {{ user.first_name }}</p>
        {% render 'partials/footer' %}
        """

    static let hero = """
        ---
        campaign: hero-default
        channel: banner
        placement: home-hero
        default: true
        ---
        <section>Welcome</section>
        """

    static var valid: [String: String] {
        [
            "stages.yml": stages,
            "caps.yml": "email: { max: 3, per: week }\nall: [{ max: 10, per: day }]\n",
            "recommendations.yml": "top:\n  strategy: popular\n  filter: { stock: { $gt: 0 } }\n  limit: 2\n",
            "catalog.csv": "id,category,price,stock,popularity,tags\nsku-1,razors,12.5,3,40,shave|blade\nsku-2,razors,9,0,90,shave\n",
            "emails/cart.liquid": cartEmail,
            "banners/hero.liquid": hero,
            "partials/footer.liquid": "<footer>Northwind</footer>",
            "profiles/ada.json": #"{"id": "ada", "traits": {"first_name": "Ada", "plan": "trial"}, "time_zone": "Europe/London"}"#,
        ]
    }

    @Test func aValidSetLoadsWithEveryPart() throws {
        let set = try ContentSet.load(files: Self.valid, channels: testChannels)
        #expect(set.stageRules.stages == ["reengagement", "revenue", "activation"])
        #expect(set.channelCaps == [FrequencyCap(max: 3, per: .week, scope: .channel(.email)), FrequencyCap(max: 10, per: .day, scope: .all)])
        #expect(set.catalog.items.map(\.id) == ["sku-1", "sku-2"])
        #expect(set.catalog["sku-1"]?.tags == ["shave", "blade"])
        #expect(set.profiles["ada"]?.timeZone.identifier == "Europe/London")
        let cart = try #require(set.messages["emails/cart"]?.campaign)
        #expect(cart.channel == .email)
        #expect(cart.stages == ["revenue", "activation"])
        #expect(cart.priority == 80)
        #expect(cart.schedule == Schedule(start: .localDate("2026-01-01"), end: .instant(World.at("2026-12-31T23:00:00Z"))))
        #expect(cart.window == TimeWindow(from: 540, to: 1260, days: [1, 2, 3, 4, 5]))
        #expect(cart.caps == [FrequencyCap(max: 1, per: .week), FrequencyCap(max: 2, per: .rolling(30 * 86_400))])
        #expect(cart.trigger?.event == "cart_abandoned")
        #expect(cart.trigger?.delay == 1800)
        #expect(cart.trigger?.expiry == Double(3 * 86_400))
        #expect(cart.trigger?.exceptions == ["purchase"])
        #expect(cart.variants == [Variant(key: "plain", weight: 0.25), Variant(key: "story", weight: 0.75)])
        #expect(cart.holdout == 0.1)
        #expect(cart.dismissal == .snooze(7 * 86_400))
        #expect(cart.data["subject"]?.stringValue == "Still thinking it over, {{ user.first_name }}?")
        #expect(set.engine.placementDefault(for: "home-hero")?.id == "hero-default")
        let html = try set.messages["emails/cart"]!.template.render(["user": ["first_name": "Ada"]])
        #expect(html == "<p>Hello Ada</p>\n<footer>Northwind</footer>")
    }

    /// Each broken file, what the error says and where.
    static let broken: [(String, String, String)] = [
        ("emails/cart.liquid", cartEmail.replacingOccurrences(of: "priority: 80", with: "priorty: 80"),
         "emails/cart.liquid:6:1: error: unknown key \"priorty\" in front matter (did you mean \"priority\"?)"),
        ("emails/cart.liquid", cartEmail.replacingOccurrences(of: "channel: email", with: "channel: sms"),
         "emails/cart.liquid:3:10: error: unknown channel \"sms\""),
        ("emails/cart.liquid", cartEmail.replacingOccurrences(of: "{{ user.first_name }}</p>", with: "{{ user.first_name }</p>"),
         "emails/cart.liquid:25:10: error: Liquid syntax error"),
        ("emails/cart.liquid", cartEmail.replacingOccurrences(of: "$gte: 0", with: "$gtee: 0"),
         "emails/cart.liquid:5:34: error: unknown condition operator \"$gtee\" (did you mean \"$gte\"?)"),
        ("emails/cart.liquid", cartEmail.replacingOccurrences(of: "revenue, activation", with: "revenu"),
         "emails/cart.liquid:2:1: error: unknown stage \"revenu\""),
        ("emails/cart.liquid", cartEmail.replacingOccurrences(of: "delay: 30m", with: "delay: soon"),
         "emails/cart.liquid:15:10: error: \"delay\" is a duration"),
        // Durations end at 3650d: `1e300s` as a cap's period once stopped the process where the cap was described.
        ("emails/cart.liquid", cartEmail.replacingOccurrences(of: "delay: 30m", with: "delay: 1e300d"),
         "emails/cart.liquid:15:10: error: \"delay\" is a duration such as 30m, 2h or 3d, up to 3650d"),
        ("emails/cart.liquid", cartEmail.replacingOccurrences(of: "per: week", with: "per: 1e300s"),
         "emails/cart.liquid:10:20: error: \"per\" is day, week, or a rolling duration such as 24h or 7d, up to 3650d"),
        ("emails/cart.liquid", cartEmail.replacingOccurrences(of: "dismissal: 7d", with: "dismissal: 522w"),
         "emails/cart.liquid:22:12: error: \"dismissal\" is \"forever\" or a snooze time such as 7d, up to 3650d"),
        ("caps.yml", "survey: { max: 1, per: 87601h }", "caps.yml:1:24: error: \"per\" is day, week, or a rolling duration"),
        ("emails/cart.liquid", cartEmail.replacingOccurrences(of: "\"09:00\"", with: "\"9am\""),
         "emails/cart.liquid:8:17: error: expected a time of day"),
        ("emails/cart.liquid", cartEmail.replacingOccurrences(of: "per: week", with: "per: fortnight"),
         "emails/cart.liquid:10:20: error: \"per\" is day, week"),
        ("emails/cart.liquid", cartEmail.replacingOccurrences(of: "max: 1, per: week", with: "max: 5000, per: week"),
         "emails/cart.liquid:10:12: error: a cap counts at most 1000 messages"),
        ("emails/cart.liquid", cartEmail.replacingOccurrences(of: "holdout: 0.1", with: "holdout: 1.5"),
         "emails/cart.liquid:21:10: error: \"holdout\" is a share"),
        ("emails/cart.liquid", cartEmail.replacingOccurrences(of: "subject:", with: "subject: [unclosed\nx:"),
         "emails/cart.liquid:24:2: error: YAML:"),
        ("emails/cart.liquid", String(cartEmail.prefix(60)), "emails/cart.liquid:1:1: error: the front matter starting here has no closing"),
        ("banners/hero.liquid", hero.replacingOccurrences(of: "default: true", with: "default: true\nstages: [revenue]"),
         "banners/hero.liquid:6:9: error: a placement default is shown to anyone"),
        ("banners/other.liquid", hero, "banners/other.liquid:2:1: error: campaign \"hero-default\" is also defined in banners/hero.liquid"),
        ("partials/footer.liquid", "<footer>{% if %}</footer>", "partials/footer.liquid:1:15: error: Liquid syntax error"),
        ("partials/header.liquid", hero, "partials/header.liquid:1:1: error: partials and layouts have no front matter"),
        ("stages.yml", stages.replacingOccurrences(of: "fallback", with: "fallbak"), "stages.yml:1:1: error: unknown key \"fallbak\""),
        ("caps.yml", "sms: { max: 1, per: day }", "caps.yml:1:6: error: unknown channel \"sms\" in caps.yml"),
        ("recommendations.yml", "top:\n  strategy: bestsellers\n", "recommendations.yml:2:13: error: unknown strategy \"bestsellers\""),
        ("catalog.csv", "id,price\nsku-1,cheap\n", "catalog.csv:2:1: error: item \"sku-1\": \"price\" must be a number"),
        // Found by FuzzContent: a stock too large for an integer stopped the process.
        ("catalog.csv", "id,stock\nsku-1,1e300\n", "catalog.csv:2:1: error: item \"sku-1\": \"stock\" must be a whole number of items, not 1e+300"),
        ("profiles/bad.json", #"{"id": "x", "time_zone": "Mars/Olympus"}"#, "profiles/bad.json:1:1: error: profile: unknown time zone"),
    ]

    @Test(arguments: broken)
    func aBrokenFileRejectsTheWholeSet(file: String, text: String, expected: String) {
        var files = Self.valid
        files[file] = text
        do {
            _ = try ContentSet.load(files: files, channels: testChannels)
            Issue.record("loaded despite \(expected)")
        } catch {
            let lines = error.diagnostics.filter { $0.severity == .error }.map(\.description)
            #expect(lines.contains { $0.hasPrefix(expected) }, "\(lines)")
        }
    }

    @Test("durations up to 3650d are read; a cap of any period, read or made in code, is described without trapping")
    func durationBounds() {
        #expect(DurationText.parse("3650d") == 3_650 * 86_400 && DurationText.parse("521w") == 521 * 604_800)
        #expect(DurationText.parse("3651d") == nil && DurationText.parse("1e300s") == nil && DurationText.parse("inf s") == nil)
        #expect(DurationText.format(14 * 86_400) == "2w" && DurationText.format(90) == "90s" && DurationText.format(1.5) == "1.5s")
        #expect(DurationText.format(1e300) == "1e+300s" && DurationText.format(.infinity) == "infs")
        #expect(FrequencyCap(max: 1, per: .rolling(1e300)).description.contains("1e+300s (rolling)"))
    }

    @Test func everyErrorIsReportedNotJustTheFirst() {
        var files = Self.valid
        files["emails/cart.liquid"] = Self.cartEmail.replacingOccurrences(of: "priority: 80", with: "priority: high")
        files["banners/hero.liquid"] = Self.hero.replacingOccurrences(of: "channel: banner", with: "channel: popup")
        do {
            _ = try ContentSet.load(files: files, channels: testChannels)
            Issue.record("loaded")
        } catch {
            #expect(error.diagnostics.map(\.file) == ["banners/hero.liquid", "emails/cart.liquid"])
            #expect(error.description.hasPrefix("content not loaded: 2 errors"))
        }
    }

    @Test func factsAreBuiltForTemplatesThatMayReadThem() throws {
        func banner(_ id: String, _ body: String) -> String {
            "---\ncampaign: \(id)\nchannel: banner\nplacement: p\n---\n" + body
        }
        let set = try ContentSet.load(files: [
            "a.liquid": banner("a", "{{ facts.order_count }}"),
            "b.liquid": banner("b", "{{ user.name }}"),
            "c.liquid": banner("c", "{% include 'partials/orders' %}"),
            "d.liquid": "---\ncampaign: d\nchannel: email\nsubject: \"{{ facts.order_count }} orders\"\n---\n<p>Hi</p>",
            "partials/orders.liquid": "{{ facts.order_count }}",
            "globals.yml": "brand: Northwind\nstage: shadowed\n",
        ], channels: testChannels)
        let user = UserMoment(profile: Profile(id: "u"), now: Date(timeIntervalSince1970: 1_800_000_000), stageRules: set.stageRules)
        // A subject (or any front matter Liquid) reads the same data as the body.
        for (name, reads) in [("a", true), ("b", false), ("c", true), ("d", true)] {
            let message = try #require(set.messages[name])
            #expect(message.readsFacts == reads)
            guard case .object(let data) = set.data(for: message, user: user) else { Issue.record("no object"); continue }
            #expect((data["facts"] != nil) == reads)
            #expect(data.keys.first == "brand" && data["stage"]?.stringValue == "activation", "globals first; ours win")
            #expect(data["campaign"]?.objectValue?["id"]?.stringValue == name)
        }
        #expect(try set.messages["c"]!.template.render(set.data(for: set.messages["c"]!, user: user)) == "0")
    }

    @Test func csvFollowsRFC4180() {
        let rows = CSV.rows("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\"two\nlines\",z\n")
        #expect(rows.map(\.fields) == [["a", "b"], ["x, y", "say \"hi\""], ["two\nlines", "z"]])
        #expect(rows.map(\.line) == [1, 2, 3])
    }
}
