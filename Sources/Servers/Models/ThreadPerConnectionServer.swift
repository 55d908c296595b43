#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import SystemCalls

/// An acceptor starts one thread per accepted connection, which serves it to its end and ends: the classic
/// alternative to a pool, with no queue and no limit but `--max-threads`. Each thread has a small stack and a small
/// read buffer, so that what 10,000 threads cost (memory, context switches, the scheduler) is what shows.
final class ThreadPerConnectionServer: ServerModelType {
    static let name = "thread-per-connection"
    static let traits = ServerTraits(
        summary: "an acceptor starts a thread per connection (256 KiB stacks, at most --max-threads)",
        defaultThreads: 1, threadsAre: nil, concurrentConnections: { _ in nil }, busyCores: { _ in nil },
        ownThreads: { _ in 1 }, listeningSockets: { _ in listeners }, blocksOnReads: true)

    /// Listening sockets the acceptor takes from, as the thread pool's, for its reason (``ThreadPoolServer``).
    static let listeners = 4
    /// Stack of a connection's thread: far below the default 8 MiB of address space, far above what serving needs.
    static let stackBytes = 256 << 10
    /// A connection's read buffer: 16 KiB, not the 64 KiB of a long-lived worker, as there are thousands of them.
    static let readBufferBytes = 16 << 10

    private let configuration: ServerConfiguration
    private let run = Locked<ThreadedRun?>(nil)
    private let threads: ConnectionThreads

    init(configuration: ServerConfiguration) {
        self.configuration = configuration
        threads = ConnectionThreads(limit: configuration.maxThreads)
    }

    func start() async throws -> ServerAddress {
        let configuration = configuration
        let threads = threads
        let sessions = try configuration.makeSessions()
        // Counter sets: the acceptor's, and a few shared by the connections' threads, so that thousands of threads
        // do not all add to one cache line (the cells are atomics: several writers are correct, only slower).
        let shards = 2 * System.coreCount
        let run = try await ThreadedRun.start(
            configuration, threadCount: 1 + shards, listeners: Self.listeners, wake: threads.close,
            force: threads.forceAll
        ) { run in
            let port = run.listeners.address.port
            try run.spawn("acc") {
                while let connection = run.listeners.accept(counters: run.counters[0], isStopping: { run.isStopping }) {
                    let counters = run.counters[1 + Int(connection) % shards]
                    threads.start(connection, counters: run.counters[0], port: port) { slot in
                        ConnectionWorker(
                            configuration: configuration, sessions: sessions, counters: counters, slot: slot,
                            readBufferBytes: Self.readBufferBytes)
                    }
                }
            }
        }
        self.run.withLock { $0 = run }
        return run.listeners.address
    }

    /// The acceptor stops, the connections' threads have the drain timeout to finish, the rest are shut down and
    /// waited for (a forced connection's thread ends at once).
    func stop() async {
        guard let run = run.withLock({ $0 }) else { return }
        await run.stop(drainTimeout: configuration.drainTimeout)
        let threads = threads
        let drained = await Drain.wait(upTo: configuration.drainTimeout) {
            threads.wakeForStop()
            return threads.running == 0
        }
        if !drained {
            threads.forceAll()
            _ = await Drain.wait(upTo: .seconds(5)) { threads.running == 0 }
        }
    }

    var counters: ServerCounters { run.withLock { $0 }?.snapshot ?? ServerCounters() }
}

/// The threads of the thread-per-connection model: how many run (bounded), and each one's connection, where a
/// forced stop can reach it.
final class ConnectionThreads: Sendable {
    private struct State {
        var running = 0
        var slots: [ObjectIdentifier: ConnectionSlot] = [:]
        var closed = false
    }

    private let limit: Int
    private let state = Locked(State())

    init(limit: Int) {
        self.limit = limit
    }

    var running: Int { state.withLock { $0.running } }

    /// Serves `connection` on a thread of its own, made by `worker`; at the limit, counts it and waits (1 ms at a
    /// time, a stop ends the wait) until a thread ends. A thread that cannot start is counted and its connection
    /// closed.
    func start(
        _ connection: Int32, counters: CounterCells, port: Int,
        worker: @escaping @Sendable (ConnectionSlot) -> ConnectionWorker
    ) {
        var counted = false
        while true {
            let admitted = state.withLock { state -> Bool? in
                if state.closed { return nil }
                guard state.running < limit else { return false }
                state.running += 1
                return true
            }
            guard let admitted else {
                Glibc.close(connection)  // the server is stopping
                return
            }
            if admitted { break }
            if !counted {
                counters.add(.threadLimit)
                counted = true
            }
            usleep(1_000)
        }
        let slot = ConnectionSlot()
        state.withLock { $0.slots[ObjectIdentifier(slot)] = slot }
        do {
            try PosixThread.spawn(name: "srv-c-\(port)", stackBytes: ThreadPerConnectionServer.stackBytes) { [self] in
                worker(slot).serve(connection)
                finished(slot)
            }.detach()
        } catch {
            counters.add(.threadLimit)
            Glibc.close(connection)
            finished(slot)
        }
    }

    private func finished(_ slot: ConnectionSlot) {
        state.withLock {
            $0.slots[ObjectIdentifier(slot)] = nil
            $0.running -= 1
        }
    }

    /// A stop began: no more threads start, and an acceptor waiting at the limit gives up.
    func close() {
        state.withLock { $0.closed = true }
    }

    /// A stop began: every connection's thread is told (``ConnectionSlot/wakeForStop()``).
    func wakeForStop() {
        for slot in state.withLock({ Array($0.slots.values) }) { slot.wakeForStop() }
    }

    /// The drain timeout passed: every connection still served is shut down.
    func forceAll() {
        for slot in state.withLock({ Array($0.slots.values) }) { slot.force() }
    }
}
