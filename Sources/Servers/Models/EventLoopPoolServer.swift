import NIOPosix

/// SwiftNIO's event loops with a pool of threads beside them: the CPU and blocking parts of each request's `--work`
/// go to the pool (SwiftNIO's NIOThreadPool, as nginx's `aio threads` hands blocking reads to its thread pools), and
/// the loop serves other connections meanwhile; a wait on the backend stays a timer on the loop. The cure for the
/// event loop's classic mistake, shown beside it: with `--work block=1ms` the event-loop model serves one request a
/// millisecond per loop, this one as many as its pool has threads.
final class EventLoopPoolServer: ServerModelType {
    static let name = "event-loop-pool"
    static let traits = ServerTraits(
        summary: "SwiftNIO's event loops handing --work's CPU and blocking calls to a pool of 64 threads",
        defaultThreads: EventLoopServer.traits.defaultThreads, threadsAre: "event loops",
        concurrentConnections: { _ in nil }, busyCores: { _ in nil }, ownThreads: { $0 },
        listeningSockets: EventLoopServer.traits.listeningSockets, blocksOnReads: false)

    /// As many as the thread-pool model has workers, so that the two hold the same number of blocked calls at once.
    static let poolThreads = ThreadPoolServer.defaultWorkers

    private let loops: EventLoopServer

    init(configuration: ServerConfiguration) {
        loops = EventLoopServer(configuration: configuration, offloadThreads: Self.poolThreads)
    }

    func start() async throws -> ServerAddress { try await loops.start() }
    func stop() async { await loops.stop() }
    var counters: ServerCounters { loops.counters }
}
