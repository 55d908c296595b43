import Atomics
import NIOCore
import NIOPosix
import Synchronization

/// SwiftNIO: non-blocking sockets multiplexed with epoll by one event loop thread per core (by default). Each
/// connection lives on one loop, in a ``GreetingHandler`` or a ``RequestHandler``; no client can hold up another.
final class EventLoopServer: Server {
    private struct Running: Sendable {
        let group: MultiThreadedEventLoopGroup
        let listener: any Channel
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
        let bootstrap = Self.bootstrap(group, configuration, acceptCounters, resources)
        do {
            let listener = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
            let started = Running(group: group, listener: listener, counters: counters, isClosingAll: isClosingAll)
            running.withLock { $0 = started }
            return ServerAddress(host: configuration.host, port: listener.localAddress?.port ?? configuration.port)
        } catch {
            try? await group.shutdownGracefully()
            let place = "cannot bind \(configuration.host):\(configuration.port)"
            // Said as the blocking models say it, when it is a failed system call.
            guard let ioError = error as? IOError else { throw ServerStartError("\(place): \(error)") }
            throw ServerStartError(place, errno: ioError.errnoCode)
        }
    }

    private static func bootstrap(
        _ group: MultiThreadedEventLoopGroup,
        _ configuration: ServerConfiguration,
        _ acceptCounters: CounterCells,
        _ resources: [ObjectIdentifier: NIOLoopBoundBox<LoopResources>]
    ) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: Int32(clamping: configuration.backlog))
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
        try? await running.listener.close()
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
