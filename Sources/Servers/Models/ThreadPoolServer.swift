#if canImport(Glibc)
import Glibc
#endif
import SystemCalls

/// An acceptor thread hands each connection to a fixed pool of workers through a bounded queue; a worker serves it
/// to its end, then takes the next. When the queue is full, ``QueueFullPolicy`` decides and the event is counted.
final class ThreadPoolServer: ServerModelType {
    static let name = "thread-pool"
    static let traits = ServerTraits(
        summary: "an acceptor hands connections to a fixed pool of workers through a bounded queue",
        defaultThreads: defaultWorkers, threadsAre: "workers", concurrentConnections: { $0 }, busyCores: { $0 },
        ownThreads: { $0 + 1 }, listeningSockets: { _ in listeners }, blocksOnReads: true)

    /// 64 workers. A worker spends nearly all its time blocked in `recv` or `send` for one client, so the pool is
    /// sized for waiting, not for cores: 64 threads keep 64 clients in progress for about 64 × 100 KiB of touched
    /// stack and buffers, and switching between them stays cheap. Far more (Tomcat's 200) mostly adds context
    /// switches on a 2-core machine; far fewer lets a handful of slow clients occupy the whole pool.
    static let defaultWorkers = 64

    /// Listening sockets the acceptor takes from: with four, the kernel holds 16,384 clients while the acceptor is
    /// not running (``ListenerSet``), and the queue holds ``ServerConfiguration/defaultQueueCapacity`` more.
    static let listeners = 4

    private let configuration: ServerConfiguration
    private let run = Locked<ThreadedRun?>(nil)

    init(configuration: ServerConfiguration) {
        self.configuration = configuration
    }

    func start() async throws -> ServerAddress {
        let configuration = configuration
        let workers = configuration.threads ?? Self.defaultWorkers
        let queue = ConnectionQueue(capacity: configuration.queueCapacity)
        // Closing the queue wakes an acceptor waiting for room and lets idle workers leave once it is empty;
        // discarding it, when the drain timeout has passed, closes the connections no worker has reached.
        let run = try await ThreadedRun.start(
            configuration, threadCount: workers + 1, listeners: Self.listeners, wake: queue.close,
            force: queue.discardQueued
        ) { run in
            // Index 0 is the acceptor's, 1...workers the workers'.
            try run.spawn("acc") { Self.accept(run: run, into: queue, policy: configuration.queueFullPolicy) }
            let sessions = try configuration.makeSessions()
            for index in 1...workers {
                try run.spawn("w\(index)") {
                    let worker = ConnectionWorker(
                        configuration: configuration, sessions: sessions, counters: run.counters[index],
                        slot: run.slots[index])
                    while let connection = queue.dequeue() { worker.serve(connection) }
                }
            }
        }
        self.run.withLock { $0 = run }
        return run.listeners.address
    }

    private static func accept(run: ThreadedRun, into queue: ConnectionQueue, policy: QueueFullPolicy) {
        let counters = run.counters[0]
        while let connection = run.listeners.accept(counters: counters, isStopping: { run.isStopping }) {
            switch queue.enqueue(connection, waitWhenFull: policy == .wait) {
            case .queued:
                break
            case .queuedAfterWaiting:
                counters.add(.queueFull)
            case .refused:
                counters.add(.queueFull)
                Glibc.close(connection)
            case .closed:
                Glibc.close(connection)
            }
        }
    }

    func stop() async {
        await run.withLock { $0 }?.stop(drainTimeout: configuration.drainTimeout)
    }

    var counters: ServerCounters { run.withLock { $0 }?.snapshot ?? ServerCounters() }
}
