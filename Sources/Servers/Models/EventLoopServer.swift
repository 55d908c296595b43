import Atomics
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import Synchronization
import SystemCalls

/// SwiftNIO: non-blocking sockets multiplexed with epoll by one event loop thread per core (by default). Each
/// connection lives on one loop, in a ``SessionHandler``; no client can hold up another.
final class EventLoopServer: ServerModelType {
    static let name = "event-loop"
    static let traits = ServerTraits(
        summary: "SwiftNIO: non-blocking sockets on one event loop per core, each with four listening sockets",
        defaultThreads: System.coreCount, threadsAre: "event loops", concurrentConnections: { _ in nil },
        busyCores: { $0 }, ownThreads: { $0 }, listeningSockets: { $0 * listenersPerLoop }, blocksOnReads: false)

    private struct Running: Sendable {
        let group: MultiThreadedEventLoopGroup
        /// ``listenersPerLoop`` listening channels per event loop, all on one port (SO_REUSEPORT).
        let listeners: [any Channel]
        /// One set per event loop plus one for the listeners' accept errors.
        let counters: [CounterCells]
        let isClosingAll: ManagedAtomic<Bool>
        let offload: NIOThreadPool?
        /// Each loop's resources, which know its open connections.
        let resources: [NIOLoopBoundBox<LoopResources>]
    }

    /// Listening sockets each loop accepts from, so that one loop alone can hold 16,384 pending connections.
    ///
    /// The kernel caps every listen queue at somaxconn (4,096 on most Linux machines) and drops the SYNs beyond it
    /// into retries 1 s and 3 s later. When the server is the slower side of a closed-loop load, nearly all the
    /// clients are pending at once, and they gather at one loop: two loops fed equally by the kernel's hash and
    /// working at the same pace drift apart like a random walk, and a client the faster loop serves comes back to
    /// the slower one half the time. Four sockets give the slower loop room for nearly every client of the largest
    /// runs, so they wait in its queues instead of falling into SYN retries; two per loop were not enough. What was
    /// measured, under 10,000 clients: docs/performance.md, "Behind the code".
    static let listenersPerLoop = 4

    private let configuration: ServerConfiguration
    /// Threads of the pool the CPU and blocking parts of `--work` are handed to (``EventLoopPoolServer``); nil: the
    /// loops do them.
    private let offloadThreads: Int?
    private let running = Locked<Running?>(nil)
    private let stopped = ManagedAtomic(false)

    convenience init(configuration: ServerConfiguration) {
        self.init(configuration: configuration, offloadThreads: nil)
    }

    init(configuration: ServerConfiguration, offloadThreads: Int?) {
        self.configuration = configuration
        self.offloadThreads = offloadThreads
    }

    func start() async throws -> ServerAddress {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.threads ?? System.coreCount)
        let offload = offloadThreads.map { NIOThreadPool(numberOfThreads: $0) }
        offload?.start()
        let acceptCounters = CounterCells()
        var counters = [acceptCounters]
        var resources: [ObjectIdentifier: NIOLoopBoundBox<LoopResources>] = [:]
        let sessions = try configuration.makeSessions()
        let isClosingAll = ManagedAtomic(false)
        for loop in group.makeIterator() {
            let loopCounters = CounterCells()
            counters.append(loopCounters)
            resources[ObjectIdentifier(loop)] = .makeBoxSendingValue(
                LoopResources(
                    configuration, sessions: sessions, counters: loopCounters, isClosingAll: isClosingAll,
                    offload: offload),
                eventLoop: loop)
        }
        // Listeners on every loop and the same port (SO_REUSEPORT): the kernel spreads new connections over them,
        // each loop accepts and serves its own without handing channels to another thread, and each listener has
        // a backlog of its own. A connection storm is then accepted by every core instead of one.
        var listeners: [any Channel] = []
        do {
            var port = configuration.port
            for loop in group.makeIterator().flatMap({ repeatElement($0, count: Self.listenersPerLoop) }) {
                let listener = try await Self.bootstrap(loop, configuration, acceptCounters, resources)
                    .bind(host: configuration.host, port: port).get()
                listeners.append(listener)
                port = listener.localAddress?.port ?? port
            }
            // SwiftNIO names its threads NIO-ELT-GROUP-#N, the same in every server of a process; each loop takes the
            // name the other models' threads have, with this server's port, so that top -H and the tests' census of a
            // process's threads tell two servers apart.
            for (index, loop) in group.makeIterator().enumerated() {
                try await loop.submit { [port] in PosixThread.nameCurrent("srv-nio\(index)-\(port)") }.get()
            }
            let started = Running(
                group: group, listeners: listeners, counters: counters, isClosingAll: isClosingAll, offload: offload,
                resources: Array(resources.values))
            running.withLock { $0 = started }
            return ServerAddress(host: configuration.host, port: port)
        } catch {
            try? await group.shutdownGracefully()
            try? await offload?.shutdownGracefully()
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
        let unsentLimit = configuration.wireProtocol.traits.unsentLimit
        return ServerBootstrap(group: loop)
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
                    if let limit = unsentLimit {
                        try channel.syncOptions?.setOption(
                            .tcpOption(NIOBSDSocket.Option(rawValue: TCP_NOTSENT_LOWAT)), value: SocketOptionValue(limit))
                    }
                    try channel.pipeline.syncOperations.addHandler(SessionHandler(resources: loopResources))
                }
            }
    }

    func stop() async {
        guard let running = running.withLock({ $0 }), !stopped.exchange(true, ordering: .relaxed) else { return }
        for listener in running.listeners { try? await listener.close() }
        for box in running.resources { try? await box.eventLoop.submit { box.value.beginStop() }.get() }
        _ = await Drain.wait(upTo: configuration.drainTimeout) {
            let snapshot = running.counters.reduce(0) { $0 + $1.value(.connections) - $1.value(.closed) }
            return snapshot == 0
        }
        // Closes the connections still open and joins the loop threads.
        running.isClosingAll.store(true, ordering: .relaxed)
        // The pool first: the work it fails or finishes completes on loops that are still running.
        try? await running.offload?.shutdownGracefully()
        try? await running.group.shutdownGracefully()
    }

    var counters: ServerCounters { ServerCounters(summing: running.withLock { $0 }?.counters ?? []) }
}
