import Atomics
import NIOCore
import Synchronization
import SystemCalls

/// Non-blocking sockets multiplexed with epoll, written here without SwiftNIO: one ``EpollLoop`` thread per core (by
/// default), each with its own listening socket on the shared port (SO_REUSEPORT), so that the kernel spreads new
/// connections and no connection ever moves between threads. The event loop model's idea with no library between it
/// and the system calls, so that what SwiftNIO's per-channel machinery costs can be told apart from what the model
/// costs.
final class EpollServer: ServerModelType {
    static let name = "epoll"
    static let traits = ServerTraits(
        summary: "an epoll loop in Swift without SwiftNIO, one per core, each with its own listening socket",
        defaultThreads: System.coreCount, threadsAre: "event loops", concurrentConnections: { _ in nil },
        busyCores: { $0 }, ownThreads: { $0 }, listeningSockets: { $0 }, blocksOnReads: false)

    private struct Running: Sendable {
        let loops: [EpollLoop]
        let threads: [PosixThread]
    }

    private let configuration: ServerConfiguration
    private let running = Mutex<Running?>(nil)
    private let stopping = ManagedAtomic(false)

    init(configuration: ServerConfiguration) {
        self.configuration = configuration
    }

    func start() async throws -> ServerAddress {
        let count = configuration.threads ?? Self.traits.defaultThreads
        let sessions = try configuration.makeSessions()
        var loops: [EpollLoop] = []
        var port = configuration.port
        do {
            for _ in 0..<count {
                let listener = try ListeningSocket(
                    host: configuration.host, port: port, backlog: configuration.backlog, sharingPort: true)
                port = listener.address.port  // the others join the port the first one got
                do {
                    loops.append(try EpollLoop(configuration, listener: listener, sessions: sessions, stopping: stopping))
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
                threads.append(try PosixThread.spawn(name: "srv-ep\(index)-\(port)") { loop.run() })
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
    func stop() async {
        guard let running = running.withLock({ $0 }), !stopping.exchange(true, ordering: .relaxed) else { return }
        for thread in running.threads { thread.join() }
    }

    var counters: ServerCounters { ServerCounters(summing: running.withLock { $0 }?.loops.map(\.counters) ?? []) }
}
