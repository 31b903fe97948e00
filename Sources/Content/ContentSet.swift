import Diagnostics
import Foundation
import Liquid
import Localization
import Personalization

/// A message template: its parsed body and, from its front matter, the campaign it is.
public struct MessageTemplate: Sendable {
    /// The path without `.liquid` (`emails/welcome`).
    public let name: String
    /// The path as in the folder (`emails/welcome.liquid`).
    public let file: String
    public let template: Template
    /// Whole bodies written for a locale (`emails/welcome.ar.liquid` beside `emails/welcome.liquid`), when a
    /// translation needs its own layout.
    public let localeBodies: [LocaleTag: Template]
    public let campaign: Campaign
    /// The recommendation rules it reads (`recommendations.<rule>`), computed only for its renders.
    public let recommendations: [String]
    /// Whether it may read `facts` (named in it, or an `include`d partial could): built only for such renders.
    public let readsFacts: Bool
    /// `campaign` as templates see it (front matter and `id`), built once.
    let campaignValue: Value
    /// The line each top-level front matter key is written on, so a problem with a value (a push's title) is
    /// reported where the value is.
    public let keyLines: [String: Int]

    /// The line `key` is written on, else the front matter's first.
    public func line(of key: String) -> Int { keyLines[key] ?? campaign.line }

    /// The body for a user served in `locale`: its own (`.ar.liquid`), or that of the nearest of its truncations,
    /// else the plain file's.
    public func template(for locale: LocaleTag) -> Template {
        guard !localeBodies.isEmpty else { return template }
        for tag in [locale] + locale.truncations { if let body = localeBodies[tag] { return body } }
        return template
    }

    init(name: String, file: String, template: Template, localeBodies: [LocaleTag: Template] = [:], campaign: Campaign,
         keyLines: [String: Int] = [:], recommendations: [String], readsFacts: Bool)
    {
        self.keyLines = keyLines
        self.localeBodies = localeBodies
        self.name = name
        self.file = file
        self.template = template
        self.campaign = campaign
        self.recommendations = recommendations
        self.readsFacts = readsFacts
        var data = campaign.data
        data["id"] = .string(campaign.id)
        campaignValue = .object(data)
    }
}

/// Everything in a `templates/` folder, loaded and checked as a whole: message templates with their campaigns,
/// partials and layouts, stage rules (`stages.yml`), channel caps (`caps.yml`), recommendation rules
/// (`recommendations.yml`), the catalog (`catalog.json` or `catalog.csv`) and sample profiles (`profiles/*.json`).
///
/// A set with any error does not load: ``load(directory:)`` throws every problem found, each with file, line and
/// column, so the last good set keeps serving.
public struct ContentSet: Sendable {
    public let directory: String
    /// Parses and renders this set's templates; partials resolve within the set.
    public let environment: Environment
    /// Message templates by name.
    public let messages: [String: MessageTemplate]
    /// Partials and layouts by name, as source.
    public let partials: [String: String]
    public let stageRules: StageRules
    public let channelCaps: [FrequencyCap]
    public let catalog: Catalog
    /// Every catalog item's fields as read in a locale the content serves, for the locales whose chain has a
    /// `catalog.<locale>.csv` (or `.json`): a reader served in one of them is recommended the same items, in words
    /// of their language.
    public let localizedCatalog: [LocaleTag: [LiquidObject]]
    public let recommendationRules: [RecommendationRule]
    /// Sample profiles by file name without `.json`.
    public let profiles: [String: Profile]
    /// Data every template sees (`globals.yml`: the brand's name and address...).
    public let globals: LiquidObject
    /// Data in a language (`globals.fr.yml`: the changelog's titles in French): its top-level keys replace the
    /// globals' for readers served in that locale (or a more specific one).
    public let localeGlobals: [LocaleTag: LiquidObject]
    /// What every email shares (`email.yml`): unsubscribe address, link parameters, CSS inlining.
    public let email: EmailSettings
    /// The content's languages: its default locale, fallbacks and translations (`locales.yml`, `locales/*.json`).
    public let translations: Translations
    /// Problems that do not stop the set from loading.
    public let warnings: [Diagnostic]
    public let engine: DecisionEngine
    public let recommender: Recommender

    public var campaigns: [Campaign] { engine.campaigns }

    /// Stage rules when the set has no `stages.yml`: the SaaS journey of the product brief.
    public static let defaultStageRules = StageRules(rules: [
        StageRule(stage: "reengagement", when: AudienceCondition(["facts.days_since_last_seen": ["$gte": 30]])),
        StageRule(stage: "loyalty", when: AudienceCondition(["facts.order_count": ["$gte": 3]])),
        StageRule(stage: "revenue", when: AudienceCondition(["user.plan": "trial"])),
        StageRule(stage: "retention", when: AudienceCondition(["user.activated": true])),
    ], fallback: "activation")


    /// Loads the folder at `directory`.
    /// - Throws: ``ContentError`` with every error (and warning) found.
    public static func load(directory: String, channels: [ChannelRules],
                            extensions: LiquidExtensions = LiquidExtensions()) throws(ContentError) -> ContentSet
    {
        let (files, issues) = try readFiles(directory: directory)
        return try load(files: files, directory: directory, issues: issues, channels: channels, extensions: extensions)
    }

    /// The texts of the folder's content files by relative path (templates, YAML, the catalog, sample profiles),
    /// with the problems met reading them (unreadable files, invalid UTF-8).
    /// - Throws: ``ContentError`` when the folder itself cannot be read.
    public static func readFiles(directory: String) throws(ContentError) -> (files: [String: String], issues: [Diagnostic]) {
        var files: [String: String] = [:]
        var issues: [Diagnostic] = []
        let root = URL(fileURLWithPath: directory, isDirectory: true).standardizedFileURL
        // A folder that cannot be listed (no permission, no file descriptors left) is a failed read, not an empty one.
        var unreadable: [Diagnostic] = []
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey],
                                                          options: [.skipsHiddenFiles], errorHandler: { url, error in
                                                              let path = url.standardizedFileURL.path
                                                              let relative = path.hasPrefix(root.path + "/") ? String(path.dropFirst(root.path.count + 1)) : path
                                                              unreadable.append(Diagnostic(.error, .content, "cannot read: \(error.localizedDescription)", file: relative, line: 1, column: 1))
                                                              return true
                                                          })
        else {
            throw ContentError([Diagnostic(.error, .content, "cannot read the folder", file: directory, line: 1, column: 1)])
        }
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let relative = String(url.standardizedFileURL.path.dropFirst(root.path.count + 1))
            let ext = url.pathExtension
            guard ext == "liquid" || ext == "yml" || ext == "yaml"
                || (!relative.contains("/") && relative.hasPrefix("catalog.") && (ext == "json" || ext == "csv"))
                || ((relative.hasPrefix("profiles/") || relative.hasPrefix("locales/")) && ext == "json")
            else { continue }
            guard let data = FileManager.default.contents(atPath: url.path) else {
                issues.append(Diagnostic(.error, .content, "cannot read the file", file: relative, line: 1, column: 1))
                continue
            }
            guard let text = String(validating: data, as: UTF8.self) else {
                issues.append(Diagnostic(.error, .content, "the file is not valid UTF-8", file: relative, line: 1, column: 1))
                continue
            }
            files[relative] = text
        }
        return (files, unreadable + issues)
    }

    /// Loads a set from file texts by relative path (what ``load(directory:)`` reads, or content from elsewhere).
    /// - Parameters:
    ///   - channels: the channels campaigns may name, with their front matter keys.
    ///   - extensions: filters and tags the templates may use besides the standard ones.
    public static func load(files: [String: String], directory: String = "", issues: [Diagnostic] = [],
                            channels: [ChannelRules], extensions: LiquidExtensions = LiquidExtensions()) throws(ContentError) -> ContentSet
    {
        var issues = issues
        func collect(_ log: IssueLog) { issues += log.issues }

        // Stage rules first: campaigns are checked against their stages.
        var stageRules = defaultStageRules
        if let text = files["stages.yml"] {
            let log = IssueLog(file: "stages.yml")
            if let node = YAMLNode.parse(text, firstLine: 1, log: log), let rules = ContentReader.stageRules(node, log: log) {
                stageRules = rules
            }
            collect(log)
        } else {
            issues.append(Diagnostic(.warning, .content, "no stages.yml; using the default SaaS stage rules", file: "stages.yml", line: 1, column: 1))
        }
        var channelCaps: [FrequencyCap] = []
        if let text = files["caps.yml"] {
            let log = IssueLog(file: "caps.yml")
            if let node = YAMLNode.parse(text, firstLine: 1, log: log) { channelCaps = ContentReader.channelCaps(node, log: log, channels: channels) }
            collect(log)
        }
        var rules: [RecommendationRule] = []
        if let text = files["recommendations.yml"] {
            let log = IssueLog(file: "recommendations.yml")
            if let node = YAMLNode.parse(text, firstLine: 1, log: log) { rules = ContentReader.recommendationRules(node, log: log) }
            collect(log)
        }
        var globals = LiquidObject()
        if let text = files["globals.yml"] {
            let log = IssueLog(file: "globals.yml")
            if let node = YAMLNode.parse(text, firstLine: 1, log: log) {
                if case .object(let o) = node.value { globals = o } else { log.error(at: node, "globals.yml must be a mapping") }
            }
            collect(log)
        }
        var localeGlobals: [LocaleTag: LiquidObject] = [:]
        for file in files.keys.sorted() where file.hasPrefix("globals.") && file.hasSuffix(".yml") && file != "globals.yml" {
            let log = IssueLog(file: file)
            let name = String(file.dropFirst("globals.".count).dropLast(".yml".count))
            if let tag = try? LocaleTag(parsing: name), tag.identifier == name {
                if let node = YAMLNode.parse(files[file]!, firstLine: 1, log: log) {
                    if case .object(let o) = node.value {
                        localeGlobals[tag] = o
                        for key in o.keys where globals[key] == nil {
                            log.error(line: 1, column: 1, "\"\(key)\" is not in globals.yml: a locale's globals translate the globals, they add none")
                        }
                    } else {
                        log.error(at: node, "\(file) must be a mapping")
                    }
                }
            } else {
                log.error(line: 1, column: 1, "globals.<locale>.yml names a locale in canonical form (globals.fr.yml, globals.zh-Hans.yml)")
            }
            collect(log)
        }
        var email = EmailSettings()
        if let text = files["email.yml"] {
            let log = IssueLog(file: "email.yml")
            if let node = YAMLNode.parse(text, firstLine: 1, log: log) { email = ContentReader.emailSettings(node, log: log) }
            collect(log)
        }
        var items: [CatalogItem] = []
        if files["catalog.json"] != nil, files["catalog.csv"] != nil {
            issues.append(Diagnostic(.error, .content, "both catalog.json and catalog.csv exist; keep one", file: "catalog.csv", line: 1, column: 1))
        } else if let text = files["catalog.json"] {
            let log = IssueLog(file: "catalog.json")
            items = CatalogFile.readJSON(text, log: log)
            collect(log)
        } else if let text = files["catalog.csv"] {
            let log = IssueLog(file: "catalog.csv")
            items = CatalogFile.readCSV(text, log: log)
            collect(log)
        }
        var catalog = try! Catalog(items: [])
        do {
            catalog = try Catalog(items: items)
        } catch {
            issues.append(Diagnostic(.error, .content, error.message, file: files["catalog.json"] != nil ? "catalog.json" : "catalog.csv", line: 1, column: 1))
        }

        let translations = LocaleFiles.read(files, issues: &issues)

        // The catalog in other languages (`catalog.fr.csv`), laid over it field by field along each served locale's
        // fallback chain: a Canadian served in fr-CA reads fr-CA's titles, else fr's, else the catalog's.
        var catalogOverlays: [LocaleTag: [String: LiquidObject]] = [:]
        for file in files.keys.sorted() where file.hasPrefix("catalog.") && file != "catalog.json" && file != "catalog.csv" {
            let log = IssueLog(file: file)
            let json = file.hasSuffix(".json")
            let name = String(file.dropFirst("catalog.".count).dropLast(json ? 5 : 4))
            if let tag = try? LocaleTag(parsing: name), tag.identifier == name {
                if files["catalog.\(name).json"] != nil, files["catalog.\(name).csv"] != nil {
                    if !json { log.error(line: 1, column: 1, "both catalog.\(name).json and catalog.\(name).csv exist; keep one") }
                } else {
                    catalogOverlays[tag] = CatalogFile.readTranslation(files[file]!, json: json, catalog: catalog, log: log)
                    if !translations.locales.contains(tag) {
                        log.warning(line: 1, column: 1, "no locales/\(name).json: readers are served in \(name) only when the content is translated into it, so this file is not used")
                    }
                }
            } else {
                log.error(line: 1, column: 1, "catalog.<locale>.csv names a locale in canonical form (catalog.fr.csv, catalog.zh-Hans.csv)")
            }
            collect(log)
        }
        var localizedCatalog: [LocaleTag: [LiquidObject]] = [:]
        if !catalogOverlays.isEmpty {
            for locale in translations.locales {
                let overlays = translations.chain(for: locale).reversed().compactMap { catalogOverlays[$0] }
                if !overlays.isEmpty { localizedCatalog[locale] = catalog.fields(overlaidBy: overlays) }
            }
        }

        var profiles: [String: Profile] = [:]
        for (file, text) in files where file.hasPrefix("profiles/") && file.hasSuffix(".json") {
            do {
                profiles[String(file.dropFirst("profiles/".count).dropLast(".json".count))] = try Profile(json: JSON.parse(text))
            } catch let error as ProfileError {
                issues.append(Diagnostic(.error, .content, "profile: \(error.message)", file: file, line: 1, column: 1))
            } catch {
                issues.append(Diagnostic(.error, .content, "profile JSON: \(error)", file: file, line: 1, column: 1))
            }
        }

        // Templates: with front matter a message, without a partial or layout.
        var partials: [String: String] = [:]
        var bodies: [(name: String, file: String, body: String, firstLine: Int, campaign: Campaign, keyLines: [String: Int])] = []
        for file in files.keys.sorted() where file.hasSuffix(".liquid") {
            let name = String(file.dropLast(".liquid".count))
            let log = IssueLog(file: file)
            let text = files[file]!
            switch FrontMatter.split(text) {
            case .none:
                partials[name] = text
            case .unclosed:
                log.error(line: 1, column: 1, "the front matter starting here has no closing \"---\" line")
            case .some(let yaml, let body, let bodyLine):
                if name.hasPrefix("partials/") || name.hasPrefix("layouts/") {
                    log.error(line: 1, column: 1, "partials and layouts have no front matter; only messages do")
                } else if let node = YAMLNode.parse(yaml, firstLine: 2, log: log) {
                    if let fields = YAMLFields(node, log: log, what: "front matter"),
                       let campaign = ContentReader.campaign(fields, template: name, channels: channels)
                    {
                        var keyLines: [String: Int] = [:]
                        for key in fields.keys { if let node = fields.keyNode(key) { keyLines[key] = node.line } }
                        bodies.append((name, file, body, bodyLine, campaign, keyLines))
                    }
                } else if !log.hasErrors {
                    log.error(line: 1, column: 1, "the front matter is empty; a message needs at least campaign and channel")
                }
            }
            collect(log)
        }
        // Every set has the `t` filter; an application's own extensions come on top.
        let liquid = LocaleFilters.extensions.merging(extensions)
        let environment = Environment(loader: DictionaryLoader(partials), extraFilters: liquid.filters, extraTags: liquid.tags,
                                      htmlFilters: liquid.htmlFilters)
        for name in partials.keys.sorted() {
            do {
                _ = try environment.parse(partials[name]!, name: name)
            } catch {
                issues.append(error.diagnostic(in: name + ".liquid"))
            }
        }
        var localeBodyNames: Set<String> = []
        var messages: [String: MessageTemplate] = [:]
        var partialAnalyses: [String: TemplateAnalysis] = [:]
        var campaignFiles: [String: String] = [:]
        var defaults: [String: String] = [:]
        let stages = stageRules.stages
        for b in bodies {
            let log = IssueLog(file: b.file)
            if let other = campaignFiles[b.campaign.id] {
                log.error(line: b.campaign.line, column: 1, "campaign \"\(b.campaign.id)\" is also defined in \(other)")
            }
            campaignFiles[b.campaign.id] = b.file
            if b.campaign.isDefault, let placement = b.campaign.placement {
                if let other = defaults[placement] {
                    log.error(line: b.campaign.line, column: 1, "placement \"\(placement)\" already has a default in \(other)")
                }
                defaults[placement] = b.file
            }
            for stage in b.campaign.stages ?? [] where !stages.contains(stage) {
                var message = "unknown stage \"\(stage)\"; the stages are \(stages.joined(separator: ", "))"
                if let near = Suggestion.closest(to: stage, in: stages) { message += " (did you mean \"\(near)\"?)" }
                log.error(line: b.campaign.line, column: 1, message)
            }
            collect(log)
            do {
                let template = try environment.parse(b.body, name: b.name, firstLine: b.firstLine)
                // A layout it extends reads the same variables, so what the message needs is the union.
                var inputs = reachable(from: template, partials: partials, environment: environment, parsed: &partialAnalyses)
                // Bodies for a locale, `<name>.<tag>.liquid` beside it: the same data, so their inputs count too.
                var localeBodies: [LocaleTag: Template] = [:]
                for partial in partials.keys.sorted() where partial.hasPrefix(b.name + ".") {
                    guard let tag = try? LocaleTag(parsing: String(partial.dropFirst(b.name.count + 1))) else { continue }
                    do {
                        let body = try environment.parse(partials[partial]!, name: partial)
                        localeBodies[tag] = body
                        localeBodyNames.insert(partial)
                        let more = reachable(from: body, partials: partials, environment: environment, parsed: &partialAnalyses)
                        inputs.variables.formUnion(more.variables)
                        inputs.tags.formUnion(more.tags)
                    } catch {
                        issues.append(error.diagnostic(in: partial + ".liquid"))
                    }
                }
                // Liquid in the front matter (a subject, a push's title, a tour step's body) reads from the same data.
                for text in Self.liquidTexts(in: .object(b.campaign.data)) {
                    guard let parsed = try? environment.parse(text, name: b.name) else { continue }
                    let more = reachable(from: parsed, partials: partials, environment: environment, parsed: &partialAnalyses)
                    inputs.variables.formUnion(more.variables)
                    inputs.tags.formUnion(more.tags)
                }
                let rules = inputs.variables.compactMap { path -> String? in
                    let parts = path.split(separator: ".")
                    return parts.count >= 2 && parts[0] == "recommendations" ? String(parts[1]) : nil
                }
                let readsFacts = inputs.tags.contains("include")
                    || inputs.variables.contains { $0 == "facts" || $0.hasPrefix("facts.") || $0.hasPrefix("facts[") }
                messages[b.name] = MessageTemplate(name: b.name, file: b.file, template: template, localeBodies: localeBodies,
                                                   campaign: b.campaign, keyLines: b.keyLines,
                                                   recommendations: Array(Set(rules)).sorted(), readsFacts: readsFacts)
            } catch {
                issues.append(error.diagnostic(in: b.file))
            }
        }

        guard !issues.hasErrors else {
            throw ContentError(issues.sortedByPlace())
        }
        let campaigns = messages.keys.sorted().map { messages[$0]!.campaign }
        // A locale's body belongs to its message, not to the partials a template may render.
        return ContentSet(directory: directory, environment: environment, messages: messages,
                          partials: partials.filter { !localeBodyNames.contains($0.key) },
                          stageRules: stageRules, channelCaps: channelCaps, catalog: catalog, localizedCatalog: localizedCatalog,
                          recommendationRules: rules,
                          profiles: profiles, globals: globals, localeGlobals: localeGlobals, email: email,
                          translations: translations, warnings: issues,
                          engine: DecisionEngine(campaigns: campaigns, stageRules: stageRules, channelCaps: channelCaps,
                                                 translations: translations),
                          recommender: Recommender(catalog: catalog, rules: rules))
    }

    /// What `message` renders with for `user`: the globals, then `user`, `stage`, `facts`, `campaign` (its front
    /// matter and id), `variant`, `now`, `context` and the `recommendations` the template reads.
    public func data(for message: MessageTemplate, user: UserMoment, variant: String? = nil, served: ServedLocale? = nil) -> Value {
        // Built in one go (copying the globals and then adding keys would copy their storage on every render).
        var pairs: [(String, Value)] = []
        pairs.reserveCapacity(globals.count + 11)
        let locale = served?.served ?? translations.resolve(user.locale ?? translations.defaultLocale)
        if localeGlobals.isEmpty {
            for (k, v) in globals.pairs { pairs.append((k, v)) }
        } else {
            // The reader's language's globals, else a more general one's, over the plain ones.
            // (The dictionary alone is captured: capturing self would copy the whole content set on every render.)
            let localeGlobals = localeGlobals
            let own = ([locale] + locale.truncations).lazy.compactMap { localeGlobals[$0] }.first
            for (k, v) in globals.pairs { pairs.append((k, own?[k] ?? v)) }
        }
        pairs.append(("user", TargetingAttributes.user(user.profile)))
        pairs.append(("stage", .string(user.stage.stage)))
        if message.readsFacts { pairs.append(("facts", user.facts.value)) }
        pairs.append(("campaign", message.campaignValue))
        pairs.append(("variant", variant.map(Value.string) ?? .null))
        pairs.append(("now", .string(Timestamp.format(user.now))))
        // The language the message is served in and its direction, for `<html lang dir>` and the like.
        pairs.append(("locale", .string(locale.identifier)))
        pairs.append(("dir", .string((served?.direction ?? translations.direction(of: locale)).rawValue)))
        pairs.append(("context", .object(user.context)))
        pairs.append(("recommendations", message.recommendations.isEmpty ? .object(LiquidObject())
            : recommender.value(rules: message.recommendations, for: user, context: user.context,
                                localized: localizedCatalog.isEmpty ? nil : localizedCatalog[locale])))
        // A global named like one of these keys keeps its place and takes the value (the init assigns in order).
        return .object(LiquidObject(pairs))
    }

    /// The input variables and tags of a template together with those of every partial and layout it names, as far
    /// as they go (partials that do not parse are reported elsewhere and left out here), and the names reached
    /// (missing ones included).
    /// Every text in a front matter value that holds Liquid markup, however deep.
    static func liquidTexts(in value: Value) -> [String] {
        switch value {
        case .string(let s): return s.contains("{{") || s.contains("{%") ? [s] : []
        case .array(let items): return items.flatMap(liquidTexts)
        case .object(let o): return o.pairs.flatMap { liquidTexts(in: $0.1) }
        default: return []
        }
    }

    public static func reachable(from template: Template, partials: [String: String], environment: Environment,
                          parsed: inout [String: TemplateAnalysis]) -> (variables: Set<String>, tags: Set<String>, partials: [String])
    {
        var variables = Set(template.analysis.globalVariables)
        var tags = Set(template.analysis.tags)
        var queue = template.analysis.partials
        var seen = Set(queue)
        var named: [String] = []
        while let name = queue.popLast() {
            named.append(name)
            let analysis: TemplateAnalysis
            if let known = parsed[name] {
                analysis = known
            } else {
                guard let source = partials[name], let t = try? environment.parse(source, name: name) else { continue }
                analysis = t.analysis
                parsed[name] = analysis
            }
            variables.formUnion(analysis.globalVariables)
            tags.formUnion(analysis.tags)
            for next in analysis.partials where seen.insert(next).inserted { queue.append(next) }
        }
        return (variables, tags, named)
    }
}

/// A template's YAML header between `---` lines.
public enum FrontMatter {
    case none
    case unclosed
    /// The YAML, the body, and the file line the body starts on.
    case some(yaml: String, body: String, bodyLine: Int)

    public static func split(_ text: String) -> FrontMatter {
        guard text.hasPrefix("---\n") || text.hasPrefix("---\r\n") else { return .none }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeFirst()
        for (i, line) in lines.enumerated() {
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
            guard trimmed == "---" || trimmed == "..." else { continue }
            let yaml = lines[..<i].joined(separator: "\n")
            let body = lines[(i + 1)...].joined(separator: "\n")
            return .some(yaml: yaml, body: body, bodyLine: i + 3)
        }
        return .unclosed
    }
}

extension ContentReader {
    /// `stages.yml`: `rules` (a list of `{stage, when}`, first match wins) and `fallback`.
    static func stageRules(_ root: YAMLNode, log: IssueLog) -> StageRules? {
        guard let f = YAMLFields(root, log: log, what: "stages.yml") else { return nil }
        let before = log.issues.count
        let fallback = f.string("fallback", required: true)
        var rules: [StageRule] = []
        // Paths on the request's context, by rule: warned about once the rules load.
        var onContext: [(stage: String, path: String, at: YAMLNode)] = []
        if let node = f.node("rules") {
            guard case .sequence(let items) = node.kind else {
                log.error(at: node, "\"rules\" is a list of { stage, when }")
                return nil
            }
            for item in items {
                guard let r = YAMLFields(item, log: log, what: "a stage rule") else { continue }
                let stage = r.string("stage", required: true)
                let whenNode = r.node("when")
                let when = whenNode.flatMap { condition($0, log: log, what: "\"when\"") }
                if whenNode == nil { log.error(at: item, "a stage rule needs \"when\", a condition") }
                r.reportUnknown(what: "a stage rule")
                if let stage, let when, let whenNode {
                    rules.append(StageRule(stage: stage, when: when))
                    onContext += contextKeys(in: whenNode).map { (stage, $0.path, $0.at) }
                }
            }
        }
        f.reportUnknown(what: "stages.yml")
        guard let fallback, log.issues.count == before else { return nil }
        // Serving sees each request's context; the stage sweep, which moves users no request brings, sees none.
        for (stage, path, node) in onContext {
            log.warning(line: node.line, column: node.column, code: "stage-rule-context",
                        "the rule for stage \"\(stage)\" reads \(path): the stage sweep sees no request context (\(path) is missing "
                            + "there), so users may move out of \"\(stage)\" between visits and back at the next; "
                            + "rules on user and facts hold between requests")
        }
        return StageRules(rules: rules, fallback: fallback)
    }

    /// The keys of a condition, at any depth, that are `context` paths, in the order written.
    private static func contextKeys(in node: YAMLNode) -> [(path: String, at: YAMLNode)] {
        switch node.kind {
        case .mapping(let pairs):
            return pairs.flatMap { pair -> [(path: String, at: YAMLNode)] in
                var found: [(path: String, at: YAMLNode)] = []
                if case .scalar(let key) = pair.key.kind, let path = key.stringValue, path == "context" || path.hasPrefix("context.") {
                    found.append((path, pair.key))
                }
                return found + contextKeys(in: pair.value)
            }
        case .sequence(let items):
            return items.flatMap { contextKeys(in: $0) }
        case .scalar:
            return []
        }
    }

    /// `caps.yml`: caps per channel name, or `all` for every channel together.
    static func channelCaps(_ root: YAMLNode, log: IssueLog, channels: [ChannelRules]) -> [FrequencyCap] {
        guard let f = YAMLFields(root, log: log, what: "caps.yml") else { return [] }
        var caps: [FrequencyCap] = []
        for key in f.keys {
            guard let node = f.node(key) else { continue }
            let scope: FrequencyCap.Scope
            if key == "all" {
                scope = .all
            } else if let rules = channels.first(where: { $0.channel.rawValue == key }) {
                scope = .channel(rules.channel)
            } else {
                log.error(at: node, "unknown channel \"\(key)\" in caps.yml; use all or one of "
                    + channels.map(\.channel.rawValue).sorted().joined(separator: ", "))
                continue
            }
            caps += frequencyCaps(node, log: log, scope: scope)
        }
        return caps
    }
}
