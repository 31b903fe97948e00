@testable import StagecraftServer
import Testing

/// What serving remembered of users (exposed, in which stage), so that the same observation is not queued twice.
@Suite("Remembered: bounded, and what is in use stays")
struct RememberedTests {
    @Test("news is a key not remembered or remembered with another value")
    func news() {
        var r = Remembered<String>(capacity: 10)
        var news = r.remember("u", "activation")
        #expect(news)
        news = r.remember("u", "activation")
        #expect(!news)
        news = r.remember("u", "retention")
        #expect(news)
        #expect(r["u"] == "retention")
        r.forget("u")
        #expect(r["u"] == nil)
        news = r.remember("u", "retention")
        #expect(news)
    }

    @Test("never more than its capacity; a key in use is never forgotten, others age out")
    func boundedAndKeepsWhatIsInUse() {
        var r = Remembered<String>(capacity: 100)
        r.remember("hot", "retention")
        var forgotten: [Int] = []
        var repeated = 0
        for i in 0..<10_000 {
            if !r.remember("cold-\(i)", "activation") { repeated += 1 }
            #expect(r.count <= 100)
            // Seen again every 20 users: a single map emptied when full forgot it every 100.
            if i % 20 == 0, r.remember("hot", "retention") { forgotten.append(i) }
        }
        #expect(repeated == 0)
        #expect(forgotten.isEmpty)
        #expect(r["cold-0"] == nil)
        #expect(r["cold-9999"] == "activation")
        #expect(r["hot"] == "retention")
    }

    @Test("a key read from the older generation moves back, with its new value when it changed")
    func olderKeysMoveBack() {
        var r = Remembered<Bool>(capacity: 4)
        r.remember("a", true)
        r.remember("b", true)   // the newer generation is full: a and b are the older one now
        let news = r.remember("a", true)   // a moves back
        #expect(!news)
        r.remember("c", true)   // full again: a and c are the older one, b is dropped
        #expect(r["a"] == true)
        #expect(r["b"] == nil)
        #expect(r.count == 2)
        var changed = Remembered<String>(capacity: 4)
        changed.remember("u", "activation")
        changed.remember("v", "activation")   // u is in the older generation
        let moved = changed.remember("u", "retention")
        #expect(moved)
        #expect(changed["u"] == "retention")
    }

    @Test("forgetting by a rule reaches both generations")
    func forgetWhere() {
        var r = Remembered<Bool>(capacity: 4)
        r.remember("c1\u{0}u", true)
        r.remember("c2\u{0}v", true)
        r.remember("c3\u{0}u", true)
        r.forget(where: { $0.hasSuffix("\u{0}u") })
        #expect(r["c1\u{0}u"] == nil)
        #expect(r["c3\u{0}u"] == nil)
        #expect(r["c2\u{0}v"] == true)
        #expect(r.count == 1)
    }
}
