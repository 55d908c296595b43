import Atomics
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import Synchronization

/// SwiftNIO: non-blocking sockets multiplexed with epoll by one event loop thread per core (by default). Each
/// connection lives on one loop, in a ``GreetingHandler`` or a ``RequestHandler``; no client can hold up another.
final class EventLoopServer: Server {
    private struct Running: Sendable {
        let group: MultiThreadedEventLoopGroup
        /// One listening channel per event loop (SO_REUSEPORT).
        let listeners: [any Channel]
        /// One set per event loop plus one for the listener's accept errors.
        let counters: [CounterCells]
        let isClosingAll: ManagedAtomic<Bool>
    }

    private let configuration: ServerConfiguration
    private let running = Mutex<Running?>(nil)
    private let stopped = ManagedAtomic(false)

    init(configuration: ServerConfiguration) {
        self.configuration = configuration
    }

    func start() async throws -> ServerAddress {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.threads ?? System.coreCount)
        let acceptCounters = CounterCells()
        var counters = [acceptCounters]
        var resources: [ObjectIdentifier: NIOLoopBoundBox<LoopResources>] = [:]
        let pool = configuration.makeResponsePool()
        let isClosingAll = ManagedAtomic(false)
        for loop in group.makeIterator() {
            let loopCounters = CounterCells()
            counters.append(loopCounters)
            resources[ObjectIdentifier(loop)] = .makeBoxSendingValue(
                LoopResources(
                    pool: pool, counters: loopCounters, maxRequestBytes: configuration.maxRequestBytes,
                    isClosingAll: isClosingAll),
                eventLoop: loop)
        }
        // One listener per loop on the same port (SO_REUSEPORT): the kernel spreads new connections over the loops,
        // each loop accepts and serves its own without handing channels to another thread, and each listener has
        // a backlog of its own. A connection storm is then accepted by every core instead of one.
        var listeners: [any Channel] = []
        do {
            var port = configuration.port
            for loop in group.makeIterator() {
                let listener = try await Self.bootstrap(loop, configuration, acceptCounters, resources)
                    .bind(host: configuration.host, port: port).get()
                listeners.append(listener)
                port = listener.localAddress?.port ?? port
            }
            let started = Running(group: group, listeners: listeners, counters: counters, isClosingAll: isClosingAll)
            running.withLock { $0 = started }
            return ServerAddress(host: configuration.host, port: port)
        } catch {
            try? await group.shutdownGracefully()
            let place = "cannot bind \(configuration.host):\(configuration.port)"
            // Said as the blocking models say it, when it is a failed system call.
            guard let ioError = error as? IOError else { throw ServerStartError("\(place): \(error)") }
            throw ServerStartError(place, errno: ioError.errnoCode)
        }
    }

    private static func bootstrap(
        _ loop: any EventLoop,
        _ configuration: ServerConfiguration,
        _ acceptCounters: CounterCells,
        _ resources: [ObjectIdentifier: NIOLoopBoundBox<LoopResources>]
    ) -> ServerBootstrap {
        ServerBootstrap(group: loop)
            .serverChannelOption(.backlog, value: Int32(clamping: configuration.backlog))
            // Every listener of this server shares the port (see start()). A second server that also sets it could
            // share the port too; one that does not gets "address in use", as with the other models.
            .serverChannelOption(.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: 1)
            // SO_REUSEADDR, for the reason ListeningSocket gives. (ServerBootstrap already sets TCP_NODELAY, which
            // accepted sockets inherit.)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Accept up to 64 connections per readiness event instead of NIO's 4: under a connection storm the
            // listen queue then drains in a few wakeups instead of many, before SYN retries start.
            .serverChannelOption(.maxMessagesPerRead, value: 64)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptBackoff(counters: acceptCounters))
                }
            }
            // Half-closure: a client's EOF must not close the channel while responses are still owed.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // The initializer runs on the channel's own loop, which is what `value` checks.
                    let loopResources = resources[ObjectIdentifier(channel.eventLoop)]!.value
                    let handler: any ChannelHandler =
                        if let pooledBytes = loopResources.pooledBytes {
                            RequestHandler(resources: loopResources, pooledBytes: pooledBytes)
                        } else {
                            GreetingHandler(resources: loopResources)
                        }
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
    }

    func stop() async {
        guard let running = running.withLock({ $0 }), !stopped.exchange(true, ordering: .relaxed) else { return }
        for listener in running.listeners { try? await listener.close() }
        _ = await Drain.wait(upTo: configuration.drainTimeout) {
            let snapshot = running.counters.reduce(0) { $0 + $1.value(.connections) - $1.value(.closed) }
            return snapshot == 0
        }
        // Closes the connections still open and joins the loop threads.
        running.isClosingAll.store(true, ordering: .relaxed)
        try? await running.group.shutdownGracefully()
    }

    var counters: ServerCounters { ServerCounters(summing: running.withLock { $0 }?.counters ?? []) }
}
