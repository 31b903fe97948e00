import Content
import Delivery
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Liquid
import Personalization
import StagecraftServer
import Storage
import Testing

/// What the studio previews is what users are served: for every sample profile, the block each placement serves,
/// each email and each tour, previewed for the same user at the same time, is the same to the byte.
@Suite struct PreviewParityTests {
    static let templates = DurabilityTests.root.appendingPathComponent("templates").path

    /// A server over the sample content with every sample profile (and its events) stored.
    static func server() async throws -> (Harness, ContentSet) {
        let store = MemoryStore()
        let h = try Harness(store: store, folder: templates)
        let content = h.server.content.current.content
        for profile in content.profiles.values {
            _ = await store.saveProfile(id: profile.id, traits: .replace(profile.traits), timeZone: profile.timeZone.identifier,
                                    locale: profile.locale?.identifier, at: fixedNow)
            _ = try await store.append(profile.events.map { UserEvent(userId: profile.id, event: $0) })
        }
        return (h, content)
    }

    static func preview(_ client: any TestClientProtocol, template: String, user: String) async throws -> LiquidObject {
        let body = JSON.serialize(.object(LiquidObject([("template", .string(template)), ("profile_id", .string(user)),
                                                        ("at", .string(Timestamp.format(fixedNow)))])))
        return try await client.execute(uri: "/v1/preview", method: .post, headers: jsonHeaders, body: jsonBody(body)) { r in
            #expect(r.status == .ok)
            return r.json["output"]?.objectValue ?? LiquidObject()
        }
    }

    @Test func previewsAreWhatIsServed() async throws {
        let (h, content) = try await Self.server()
        let compared = try await h.test { client in
            var compared: Set<String> = []
            for profile in content.profiles.values.sorted(by: { $0.id < $1.id }) {
                let user = profile.id.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? profile.id
                for placement in content.engine.placements {
                    let served = try await client.execute(uri: "/v1/placements/\(placement)?user_id=\(user)", method: .get) { r in
                        r.status == .ok ? r.json : nil
                    }
                    guard let served, let campaign = served["campaign"]?.stringValue,
                          let message = content.messages.values.first(where: { $0.campaign.id == campaign }) else { continue }
                    let preview = try await Self.preview(client, template: message.name, user: profile.id)
                    #expect(preview["html"]?.stringValue == served["html"]?.stringValue, "\(placement) for \(profile.id): \(message.name)")
                    compared.insert(message.campaign.channel.rawValue)
                }
                // Messages sent on their own, each through the route that sends it: emails by theirs, pushes by the messages route.
                let sent: [(Channel, String, [String])] = [(.email, "emails", ["subject", "preheader", "html", "text"]),
                                                           (.push, "messages", ["fields"])]
                for (channel, route, parts) in sent {
                    for message in content.messages.values where message.campaign.channel == channel {
                        let body = JSON.serialize(.object(LiquidObject([("user_id", .string(profile.id)), ("at", .string(Timestamp.format(fixedNow)))])))
                        let served = try await client.execute(uri: "/v1/\(route)/\(message.name)/render", method: .post, headers: jsonHeaders,
                                                              body: jsonBody(body)) { r in r.status == .ok ? r.json : nil }
                        guard let served else { continue }
                        let preview = try await Self.preview(client, template: message.name, user: profile.id)
                        for part in parts {
                            #expect(preview[part].map(JSON.serialize) == served[part].map(JSON.serialize), "\(message.name) \(part) for \(profile.id)")
                        }
                        compared.insert(channel.rawValue)
                    }
                }
                for message in content.messages.values where message.campaign.channel == .tour {
                    let served = try await client.execute(uri: "/v1/tours/\(message.campaign.id)?user_id=\(user)", method: .get) { r in
                        r.status == .ok ? r.json : nil
                    }
                    guard let served else { continue }
                    let preview = try await Self.preview(client, template: message.name, user: profile.id)
                    let servedSteps = served["steps"]?.arrayValue?.map { $0.objectValue?["html"]?.stringValue } ?? []
                    let previewSteps = preview["steps"]?.arrayValue?.map { $0.objectValue?["html"]?.stringValue } ?? []
                    #expect(previewSteps == servedSteps, "\(message.name) for \(profile.id)")
                    compared.insert("tour")
                }
            }
            return compared
        }
        #expect(compared == Set(Channels.rules.map(\.channel.rawValue)))
    }
}
