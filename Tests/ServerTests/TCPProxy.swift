import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP proxy for tests, on 127.0.0.1: each connection made to it is relayed to the target. `cut()` closes every
/// connection and turns new ones away (as a database restarting does); `drop()` keeps them open but loses every
/// byte either way (as a network dropping packets does); `restore()` lets them through again. One event loop runs
/// the relays, so their handlers need no locks.
final class TCPProxy: Sendable {
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let state = NIOLockedValueBox(State())
    private let server: any Channel
    let port: Int

    private struct State {
        var refusing = false
        var dropping = false
        var open: [ObjectIdentifier: any Channel] = [:]
    }

    init(targetHost: String, targetPort: Int) async throws {
        let group = group
        let state = state
        server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                guard !state.withLockedValue({ $0.refusing }) else { return inbound.close() }
                let dropping: @Sendable () -> Bool = { state.withLockedValue { $0.dropping } }
                let toClient = Relay(dropping: dropping)
                let toServer = Relay(dropping: dropping)
                Self.track(inbound, state)
                return inbound.pipeline.addHandler(toServer).flatMap {
                    ClientBootstrap(group: group)
                        .channelInitializer { outbound in outbound.pipeline.addHandler(toClient) }
                        .connect(host: targetHost, port: targetPort)
                        .map { outbound in
                            Self.track(outbound, state)
                            toClient.connect(inbound)
                            toServer.connect(outbound)
                        }
                        .flatMapError { _ in inbound.close() }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = server.localAddress?.port ?? 0
    }

    private static func track(_ channel: any Channel, _ state: NIOLockedValueBox<State>) {
        let id = ObjectIdentifier(channel)
        state.withLockedValue { $0.open[id] = channel }
        channel.closeFuture.whenComplete { _ in _ = state.withLockedValue { $0.open.removeValue(forKey: id) } }
    }

    /// Closes every relayed connection and refuses new ones.
    func cut() {
        let open = state.withLockedValue { s in
            s.refusing = true
            return Array(s.open.values)
        }
        for channel in open { channel.close(promise: nil) }
    }

    /// Loses every byte relayed from now on, both ways, with the connections left open.
    func drop() {
        state.withLockedValue { $0.dropping = true }
    }

    func restore() {
        state.withLockedValue {
            $0.refusing = false
            $0.dropping = false
        }
    }

    func shutdown() async throws {
        cut()
        try await server.close()
        try await group.shutdownGracefully()
    }
}

/// Writes what its channel reads to the partner channel (once connected; until then it holds it; while `dropping`,
/// nowhere), and closes the partner when its channel closes. Both channels live on the proxy's one event loop.
private final class Relay: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    private let dropping: @Sendable () -> Bool
    private var partner: (any Channel)?
    private var held: [ByteBuffer] = []
    private var closed = false

    init(dropping: @escaping @Sendable () -> Bool) {
        self.dropping = dropping
    }

    func connect(_ channel: any Channel) {
        partner = channel
        for buffer in held { channel.write(buffer, promise: nil) }
        held = []
        channel.flush()
        if closed { channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if dropping() { return }
        if let partner { partner.writeAndFlush(buffer, promise: nil) } else { held.append(buffer) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        partner?.close(promise: nil)
        context.fireChannelInactive()
    }
}
