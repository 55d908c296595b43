import SystemCalls

/// The classic demo server: one thread accepts a connection, serves it to its end, closes it, and only then
/// accepts the next. Clients arriving meanwhile wait in the listen backlog; a stalled client holds up everyone until
/// the read timeout frees the thread.
final class BlockingServer: ServerModelType {
    static let name = "blocking"
    static let traits = ServerTraits(
        summary: "one thread: accept a connection, serve it to its end, close it, accept the next", defaultThreads: 1,
        threadsAre: nil, concurrentConnections: { _ in 1 }, busyCores: { _ in 1 }, ownThreads: { _ in 1 },
        listeningSockets: { _ in 1 }, blocksOnReads: true)

    private let configuration: ServerConfiguration
    private let run = Locked<ThreadedRun?>(nil)

    init(configuration: ServerConfiguration) {
        self.configuration = configuration
    }

    func start() async throws -> ServerAddress {
        let configuration = configuration
        let run = try await ThreadedRun.start(configuration, threadCount: 1) { run in
            let sessions = try configuration.makeSessions()
            try run.spawn("blk") {
                let worker = ConnectionWorker(
                    configuration: configuration, sessions: sessions, counters: run.counters[0], slot: run.slots[0])
                while let connection = run.listeners.accept(counters: run.counters[0], isStopping: { run.isStopping }) {
                    worker.serve(connection)
                }
            }
        }
        self.run.withLock { $0 = run }
        return run.listeners.address
    }

    func stop() async {
        await run.withLock { $0 }?.stop(drainTimeout: configuration.drainTimeout)
    }

    var counters: ServerCounters { run.withLock { $0 }?.snapshot ?? ServerCounters() }
}
