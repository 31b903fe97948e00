import Foundation
import Hummingbird
import Liquid
import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import Synchronization

/// The server's connections: how many are open (a gauge on `/metrics`), a cap past which new ones are closed at
/// once with a log line, and which clients have gone (closed their side, or dropped the connection), so that the
/// render of their request in flight stops instead of finishing for nobody.
final class Connections: Sendable {
    let limit: Int
    private let open = Atomic(0)
    /// The presence of each open connection's client, by channel.
    private let presences = Mutex<[ObjectIdentifier: ClientPresence]>([:])
    private let metrics: ServerMetrics
    private let logger: Logger

    init(limit: Int, metrics: ServerMetrics, logger: Logger) {
        self.limit = limit
        self.metrics = metrics
        self.logger = logger
    }

    var count: Int { open.load(ordering: .relaxed) }

    /// Whether the client of `channel`'s connection is still there, to ask as long as its request runs (nil for a
    /// channel this server did not accept, as in tests that call the router directly).
    func presence(of channel: any Channel) -> ClientPresence? {
        presences.withLock { $0[ObjectIdentifier(channel)] }
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

    fileprivate func closed() {
        let now = open.subtract(1, ordering: .relaxed).newValue
        metrics.gauge("open_connections", Double(now))
    }

    fileprivate func register(_ presence: ClientPresence, for channel: any Channel) {
        presences.withLock { $0[ObjectIdentifier(channel)] = presence }
    }

    fileprivate func forget(_ channel: any Channel) {
        _ = presences.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// The handler each new connection gets, after HTTP decoding.
    func handler() -> ConnectionHandler { ConnectionHandler(self) }
}

/// Whether a connection's client is still there; a request keeps it for as long as it runs, so that it still says
/// "gone" after the connection itself is torn down.
final class ClientPresence: Sendable {
    private let gone = Atomic(false)

    var hasGone: Bool { gone.load(ordering: .relaxed) }

    fileprivate func leave() { gone.store(true, ordering: .relaxed) }
}

/// One connection's part in ``Connections``: counted while active, closed at once over the cap, marked when the
/// client closes its side (HTTP/1.1 clients that give up do; the server keeps its own open for the answer).
///
/// It also holds a close back until what was written before it has gone out: on graceful shutdown Hummingbird
/// closes a connection right after writing the end of its last answer, and a close drops writes still queued
/// behind a slow reader (a 4 MB answer being sent when SIGTERM came was cut short).
///
/// And it answers a request that is not HTTP it can read (a request line and headers over the decoder's limit, a
/// malformed line) with a problem, as every other 4xx is, instead of the bare 400 a parse error would get.
final class ConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The most the HTTP decoder reads of a request line and headers (Hummingbird's, and NIO's, default).
    static let headerLimit = HTTP1Channel.Configuration().httpDecoder.maxHeaderListSize
    /// The most header fields it reads.
    static let fieldLimit = HTTP1Channel.Configuration().httpDecoder.maxHeaderFieldCount

    private let connections: Connections
    private let presence = ClientPresence()
    private var counted = false
    /// The last write handed down, done when everything before it is written (or failed).
    private var lastWrite: EventLoopFuture<Void>?
    /// Requests read whose answer has not ended: a parse error with none in flight is answered here.
    private var inFlight = 0

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
        presence.leave()
        if counted {
            counted = false
            connections.closed()
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { inFlight += 1 }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? HTTPParserError, inFlight == 0 else {
            context.fireErrorCaught(error)
            return
        }
        let problem: Problem
        switch error {
        case .headerOverflow:
            let detail = "the request line and headers take more than \(Self.headerLimit) bytes (or \(Self.fieldLimit) fields), "
                + "the most this server reads: send long values in the body"
            problem = Problem(.badRequest, "request_header_too_large", detail, extra: [("limit", .int(Self.headerLimit))])
        default:
            problem = Problem(.badRequest, "malformed_request", "the request is not HTTP/1.1 this server can read (\(error))")
        }
        let body = ByteBuffer(bytes: JSON.serializeBytes(problem.value))
        let head = HTTPResponse(status: .badRequest, headerFields: [
            .contentType: "application/problem+json", .cacheControl: "no-store", .connection: "close",
            .contentLength: String(body.readableBytes),
        ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        // Only the sending side is closed, once the answer is out: a client still sending its oversized header would
        // get a reset, not the problem, if the connection closed under it. The rest of what it sends is dropped (the
        // decoder has stopped), and the idle timeout closes the connection if the client never does.
        let sent = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: sent)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        sent.futureResult.whenComplete { _ in bound.value.close(mode: .output, promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { presence.leave() }
        context.fireUserInboundEventTriggered(event)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        connections.register(presence, for: context.channel)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        connections.forget(context.channel)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { inFlight = max(0, inFlight - 1) }
        let promise = promise ?? context.eventLoop.makePromise()
        lastWrite = promise.futureResult
        context.write(data, promise: promise)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all, let pending = lastWrite else {
            context.close(mode: mode, promise: promise)
            return
        }
        // When the writes are out (at once, when they are already), or after a while for a client that stopped
        // reading: a close that waited for it would keep its connection, and the shutdown, forever.
        context.flush()
        let bound = NIOLoopBound((context: context, closed: Box(false)), eventLoop: context.eventLoop)
        let closeOnce: @Sendable () -> Void = {
            guard !bound.value.closed.value else { return }
            bound.value.closed.value = true
            bound.value.context.close(mode: mode, promise: promise)
        }
        let late = context.eventLoop.scheduleTask(in: Self.writeGrace) { closeOnce() }
        pending.whenComplete { _ in
            late.cancel()
            closeOnce()
        }
    }

    /// How long a close waits for earlier writes to go out.
    static let writeGrace = TimeAmount.seconds(5)

    /// A flag shared by the two ways a close can happen.
    private final class Box {
        var value: Bool
        init(_ value: Bool) { self.value = value }
    }
}

/// A request's context: Hummingbird's, and the connection it came on (to ask whether its client is still there).
public struct StagecraftRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel
    /// What the request's key grants, set by the key check in front of its route.
    var grant: Grant = .none

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
