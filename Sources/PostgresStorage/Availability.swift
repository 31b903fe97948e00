import Foundation
import PostgresNIO
import Storage
import Synchronization

/// Whether PostgreSQL answers, as the store's last calls found. While it does not, calls fail at once with
/// ``StoreUnavailable`` instead of waiting in the pool for a connection that will not come; one call a second goes
/// through to find out whether it is back, and the first that succeeds opens the way again.
final class Availability: Sendable {
    private struct State {
        var down = false
        var nextProbe = ContinuousClock.now
        var reason = ""
    }

    private let state = Mutex(State())
    /// How often a call goes through while the database is down.
    let probeEvery: Duration

    init(probeEvery: Duration = .seconds(1)) {
        self.probeEvery = probeEvery
    }

    /// Throws when the database is known to be down and it is not yet time to try again.
    func admit() throws {
        let refused: String? = state.withLock { s in
            guard s.down else { return nil }
            let now = ContinuousClock.now
            if now >= s.nextProbe {
                s.nextProbe = now + probeEvery
                return nil
            }
            return s.reason
        }
        if let refused { throw StoreUnavailable("PostgreSQL is unavailable: \(refused)", retryAfter: 1) }
    }

    func succeeded() {
        // Read first: the common case (up) takes no write.
        guard state.withLock({ $0.down }) else { return }
        state.withLock { $0.down = false }
    }

    func failed(_ reason: String) {
        state.withLock { s in
            if !s.down { s.nextProbe = ContinuousClock.now + probeEvery }
            s.down = true
            s.reason = reason
        }
    }

    var isDown: Bool { state.withLock { $0.down } }

    /// Whether an error says the database cannot be reached (rather than that it refused what was asked): the
    /// connection lost or refused, the server shutting down or starting, the pool giving up on connecting.
    static func isUnreachable(_ error: any Error) -> Bool {
        switch error {
        case let e as PostgresTransactionError:
            return [e.beginError, e.closureError, e.commitError, e.rollbackError].contains { $0.map(isUnreachable) ?? false }
        case let e as PSQLError:
            switch e.code {
            case .connectionError, .serverClosedConnection, .uncleanShutdown, .poolClosed, .clientClosedConnection:
                return true
            case .server:
                // Class 08 (connection exception) and 57P01-57P03 (shut down, crashed, starting up).
                let state = e.serverInfo?[.sqlState] ?? ""
                return state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state)
            default:
                return false
            }
        case is LeaseTimeout, is AnswerTimeout:
            return true
        default:
            return false
        }
    }
}

/// No connection was had from the pool in time.
struct LeaseTimeout: Error, CustomStringConvertible {
    let after: Duration
    var description: String { "no connection within \(after)" }
}

/// Set once the pool has lent a connection (so a timer racing the lease knows it lost).
final class LeaseFlag: Sendable {
    private let leased = Atomic<Bool>(false)
    func set() { leased.store(true, ordering: .releasing) }
    var isSet: Bool { leased.load(ordering: .acquiring) }
}

/// PostgreSQL did not answer a call on a connection in time.
struct AnswerTimeout: Error, CustomStringConvertible {
    let after: Duration
    var description: String { "no answer within \(after)" }
}

/// The first of several racers to finish resumes the waiting caller; later finishes are dropped. Actions registered
/// with ``whenFinished(_:)`` run once it has finished (at once if it already has).
final class Race<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var outcome: Result<T, any Error>?
        var onFinish: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())

    /// The caller waits on `continuation` (a finish that came first resumes it at once).
    func begin(_ continuation: CheckedContinuation<T, any Error>) {
        let outcome: Result<T, any Error>? = state.withLock { st in
            guard let outcome = st.outcome else {
                st.continuation = continuation
                return nil
            }
            return outcome
        }
        if let outcome { continuation.resume(with: outcome) }
    }

    /// Ends the race with `outcome` unless it has ended.
    func finish(_ outcome: Result<T, any Error>) {
        let ended: (CheckedContinuation<T, any Error>?, [@Sendable () -> Void])? = state.withLock { st in
            guard st.outcome == nil else { return nil }
            st.outcome = outcome
            defer {
                st.continuation = nil
                st.onFinish = []
            }
            return (st.continuation, st.onFinish)
        }
        guard let (continuation, actions) = ended else { return }
        continuation?.resume(with: outcome)
        for action in actions { action() }
    }

    func whenFinished(_ action: @escaping @Sendable () -> Void) {
        let now = state.withLock { st in
            guard st.outcome != nil else {
                st.onFinish.append(action)
                return false
            }
            return true
        }
        if now { action() }
    }
}
