import Hummingbird
import Logging
import NIOCore
import Synchronization

/// The server's connections: how many are open (a gauge on `/metrics`), a cap past which new ones are closed at
/// once with a log line, and which clients have gone (closed their side or dropped), so that the render of their
/// request in flight stops instead of finishing for nobody.
final class Connections: Sendable {
    let limit: Int
    private let open = Atomic(0)
    private let gone = Mutex<Set<ObjectIdentifier>>([])
    private let metrics: ServerMetrics
    private let logger: Logger

    init(limit: Int, metrics: ServerMetrics, logger: Logger) {
        self.limit = limit
        self.metrics = metrics
        self.logger = logger
    }

    var count: Int { open.load(ordering: .relaxed) }

    /// Whether the client of `channel`'s connection has gone.
    func clientGone(_ channel: any Channel) -> Bool {
        gone.withLock { $0.contains(ObjectIdentifier(channel)) }
    }

    /// Counts a new connection; false when it is over the cap (and must be closed).
    fileprivate func opened() -> Bool {
        let now = open.add(1, ordering: .relaxed).newValue
        guard now > limit else {
            metrics.gauge("open_connections", Double(now))
            return true
        }
        open.subtract(1, ordering: .relaxed)
        metrics.count("connections_refused")
        logger.warning("connection refused: \(limit) connections are open (--max-connections)")
        return false
    }

    fileprivate func closed(_ channel: any Channel) {
        let now = open.subtract(1, ordering: .relaxed).newValue
        metrics.gauge("open_connections", Double(now))
        forget(channel)
    }

    fileprivate func left(_ channel: any Channel) {
        _ = gone.withLock { $0.insert(ObjectIdentifier(channel)) }
    }

    fileprivate func forget(_ channel: any Channel) {
        _ = gone.withLock { $0.remove(ObjectIdentifier(channel)) }
    }

    /// The handler each new connection gets, after HTTP decoding.
    func handler() -> ConnectionHandler { ConnectionHandler(self) }
}

/// One connection's part in ``Connections``: counted while active, closed at once over the cap, marked when the
/// client half-closes (HTTP/1.1 clients that give up close their side; the server keeps its own open for the answer).
///
/// It also holds a close back until what was written before it has gone out: on graceful shutdown Hummingbird
/// closes a connection right after writing the end of its last answer, and a close drops writes still queued
/// behind a slow reader (a 4 MB answer being sent when SIGTERM came was cut short).
final class ConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny

    private let connections: Connections
    private var counted = false
    /// The last write handed down, done when everything before it is written (or failed).
    private var lastWrite: EventLoopFuture<Void>?

    fileprivate init(_ connections: Connections) { self.connections = connections }

    func channelActive(context: ChannelHandlerContext) {
        counted = connections.opened()
        if !counted {
            context.close(promise: nil)
            return
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if counted {
            counted = false
            connections.closed(context.channel)
        }
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { connections.left(context.channel) }
        context.fireUserInboundEventTriggered(event)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        connections.forget(context.channel)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let promise = promise ?? context.eventLoop.makePromise()
        lastWrite = promise.futureResult
        context.write(data, promise: promise)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all, let pending = lastWrite else {
            context.close(mode: mode, promise: promise)
            return
        }
        // Runs at once when the writes are out already.
        context.flush()
        let context = NIOLoopBound(context, eventLoop: context.eventLoop)
        pending.whenComplete { _ in context.value.close(mode: mode, promise: promise) }
    }
}

/// A request's context: Hummingbird's, and the connection it came on (to ask whether its client is still there).
public struct StagecraftRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
