import Liquid
import Personalization

extension ContentReader {
    /// The rules of `recommendations.yml`: a mapping from rule name to its settings.
    static func recommendationRules(_ root: YAMLNode, log: IssueLog) -> [RecommendationRule] {
        guard let top = YAMLFields(root, log: log, what: "recommendations.yml") else { return [] }
        var rules: [RecommendationRule] = []
        for name in top.keys {
            guard let node = top.node(name), let f = YAMLFields(node, log: log, what: "rule \"\(name)\"") else { continue }
            let before = log.issues.count
            var strategy: RecommendationRule.Strategy?
            if let text = f.string("strategy", required: true) {
                strategy = RecommendationRule.Strategy(rawValue: text)
                if strategy == nil {
                    log.error(at: f.node("strategy")!, "unknown strategy \"\(text)\"; use one of "
                        + RecommendationRule.Strategy.allCases.map(\.rawValue).joined(separator: ", "))
                }
            }
            let filter = f.node("filter").flatMap { condition($0, log: log, what: "a filter") }
            var exclusions: [RecommendationRule.Exclusion] = []
            for text in f.strings("exclude") ?? [] {
                guard let e = RecommendationRule.Exclusion(rawValue: text) else {
                    log.error(at: f.node("exclude")!, "unknown exclusion \"\(text)\"; use one of "
                        + RecommendationRule.Exclusion.allCases.map(\.rawValue).joined(separator: ", "))
                    continue
                }
                exclusions.append(e)
            }
            var boosts: [(when: AudienceCondition, factor: Double)] = []
            if let node = f.node("boost") {
                let items: [YAMLNode]
                if case .sequence(let list) = node.kind { items = list } else { items = [node] }
                for item in items {
                    guard let b = YAMLFields(item, log: log, what: "a boost") else { continue }
                    let when = b.node("when").flatMap { condition($0, log: log, what: "a boost's \"when\"") }
                    let by = b.number("by")
                    b.reportUnknown(what: "a boost")
                    guard let when, let by, by > 0 else {
                        log.error(at: item, "a boost needs \"when\" (a condition) and \"by\" (a factor above 0)")
                        continue
                    }
                    boosts.append((when, by))
                }
            }
            let maxPerCategory = f.int("max_per_category")
            let limit = f.int("limit") ?? 4
            let viewEvents = f.strings("view_events") ?? RecommendationRule.defaultViewEvents
            let days = f.number("days")
            let top = f.int("top_categories") ?? 3
            let lead = f.number("lead_days") ?? 3
            var anchor = RecommendationRule.AnchorKind.purchase
            if let text = f.string("anchor") {
                if let a = RecommendationRule.AnchorKind(rawValue: text), strategy == .crossSell {
                    anchor = a
                } else {
                    log.error(at: f.node("anchor")!, "\"anchor\" is for cross_sell rules: purchase (the latest order) or cart")
                }
            }
            f.reportUnknown(what: "rule \"\(name)\"")
            if limit < 1 || limit > 100 { log.error(at: f.node("limit") ?? node, "\"limit\" is from 1 to 100") }
            if let m = maxPerCategory, m < 1 { log.error(at: f.node("max_per_category")!, "\"max_per_category\" is at least 1") }
            if let d = days, d <= 0 { log.error(at: f.node("days")!, "\"days\" must be above 0") }
            if top < 1 { log.error(at: f.node("top_categories")!, "\"top_categories\" is at least 1") }
            guard let strategy, log.issues.count == before else { continue }
            var rule = RecommendationRule(name: name, strategy: strategy, filter: filter, exclusions: exclusions,
                                          boosts: boosts, maxPerCategory: maxPerCategory, limit: limit,
                                          viewEvents: viewEvents, days: days, topCategories: top, leadDays: lead)
            rule.anchor = anchor
            rules.append(rule)
        }
        top.reportUnknown(what: "recommendations.yml")
        return rules
    }
}
