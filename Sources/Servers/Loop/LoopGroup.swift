import Atomics
import Synchronization
import SystemCalls

/// An event loop of the epoll or the io_uring model, on a thread of its own with a listening socket of its own.
protocol ServingLoop: AnyObject, Sendable {
    init(
        _ configuration: ServerConfiguration, listener: ListeningSocket, sessions: SessionFactory,
        stopping: ManagedAtomic<Bool>) throws
    var counters: CounterCells { get }
    /// Serves until `stopping`, drains, and returns with everything it opened closed.
    func run()
    /// Closes what a loop that never ran opened.
    func discard()
}

/// The loops of a model that runs one ``ServingLoop`` per thread (by default one per core), each with its own
/// listening socket on the shared port (SO_REUSEPORT), so that the kernel spreads new connections and no connection
/// ever moves between threads. Its threads are named `srv-ROLE<index>-PORT`.
final class LoopGroup<Loop: ServingLoop>: Sendable {
    private struct Running: Sendable {
        let loops: [Loop]
        let threads: [PosixThread]
    }

    private let configuration: ServerConfiguration
    private let role: String
    private let running = Locked<Running?>(nil)
    private let stopping = ManagedAtomic(false)

    init(_ configuration: ServerConfiguration, role: String) {
        self.configuration = configuration
        self.role = role
    }

    func start(defaultCount: Int) throws -> ServerAddress {
        let count = configuration.threads ?? defaultCount
        let sessions = try configuration.makeSessions()
        var loops: [Loop] = []
        var port = configuration.port
        do {
            for _ in 0..<count {
                let listener = try ListeningSocket(
                    host: configuration.host, port: port, backlog: configuration.backlog, sharingPort: true)
                port = listener.address.port  // the others join the port the first one got
                do {
                    loops.append(try Loop(configuration, listener: listener, sessions: sessions, stopping: stopping))
                } catch {
                    listener.close()
                    throw error
                }
            }
        } catch {
            for loop in loops { loop.discard() }
            throw error
        }
        var threads: [PosixThread] = []
        for (index, loop) in loops.enumerated() {
            do {
                threads.append(try PosixThread.spawn(name: "srv-\(role)\(index)-\(port)") { loop.run() })
            } catch {
                // The loops started close what they opened as they end; the others are closed here.
                stopping.store(true, ordering: .relaxed)
                for thread in threads { thread.join() }
                for unstarted in loops[threads.count...] { unstarted.discard() }
                throw ServerStartError(error.description)
            }
        }
        running.withLock { $0 = Running(loops: loops, threads: threads) }
        return ServerAddress(host: configuration.host, port: port)
    }

    /// Each loop closes its listener, serves its open connections for up to the drain timeout, closes the rest and
    /// ends; this waits for all of them.
    func stop() {
        guard let running = running.withLock({ $0 }), !stopping.exchange(true, ordering: .relaxed) else { return }
        for thread in running.threads { thread.join() }
    }

    var counters: ServerCounters { ServerCounters(summing: running.withLock { $0 }?.loops.map(\.counters) ?? []) }
}

/// A model made of a ``LoopGroup``: its file says what it is, the group does the rest.
protocol LoopServer: ServerModelType {
    associatedtype Loop: ServingLoop
    var loops: LoopGroup<Loop> { get }
}

extension LoopServer {
    func start() async throws -> ServerAddress { try loops.start(defaultCount: Self.traits.defaultThreads) }
    func stop() async { loops.stop() }
    var counters: ServerCounters { loops.counters }
}
