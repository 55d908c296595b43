import Atomics

#if canImport(Glibc)
import Glibc
#endif

/// The listening sockets of a blocking or thread-pool server, all on one port, and the one thread that accepts from
/// them.
///
/// The blocking model has one socket, a blocking one, as the classic demo has. The thread pool has several
/// (SO_REUSEPORT) so that the kernel can hold more clients than one listen queue (somaxconn, 4,096 on most Linux
/// machines) while its acceptor is not running: a single queue overflows when the server stalls for a moment under
/// 10,000 clients, and the clients beyond it miss their connect timeout (docs/performance.md, "Behind the code").
final class ListenerSet: Sendable {
    private let sockets: [ListeningSocket]
    /// Which socket the next accept tries first, so that none waits behind another's backlog.
    private let cursor = ManagedAtomic(0)

    /// The address they listen on, with port 0 resolved.
    var address: ServerAddress { sockets[0].address }

    init(_ configuration: ServerConfiguration, count: Int) throws {
        precondition(count >= 1, "a server listens at least once")
        if let given = configuration.listeningDescriptor {
            sockets = [try ListeningSocket(adopting: given, host: configuration.host)]
            return
        }
        var sockets: [ListeningSocket] = []
        var port = configuration.port
        do {
            for _ in 0..<count {
                let socket = try ListeningSocket(
                    host: configuration.host, port: port, backlog: configuration.backlog, sharingPort: count > 1)
                sockets.append(socket)
                port = socket.address.port  // the others join the port the first one got
            }
        } catch {
            for socket in sockets { socket.close() }
            throw error
        }
        self.sockets = sockets
    }

    /// The next connection, counted, or nil once `isStopping` holds (``shutdown()`` wakes a thread waiting here).
    /// Failures are counted and never end the loop (``ListeningSocket/acceptOnce(counters:isStopping:)``).
    func accept(counters: CounterCells, isStopping: () -> Bool) -> Int32? {
        while true {
            for _ in sockets.indices {
                let socket = sockets[cursor.loadThenWrappingIncrement(ordering: .relaxed) % sockets.count]
                switch socket.acceptOnce(counters: counters, isStopping: isStopping) {
                case .connection(let connection): return connection
                case .stopping: return nil
                case .nothing: continue
                }
            }
            // Every queue was empty (a lone blocking socket gets here only after a failure). A shut-down socket
            // polls as hung up, so a stop wakes this wait. On the stack: accepting allocates nothing.
            withUnsafeTemporaryAllocation(of: pollfd.self, capacity: sockets.count) { waiting in
                for (index, socket) in sockets.enumerated() {
                    waiting[index] = pollfd(fd: socket.descriptor, events: Int16(POLLIN), revents: 0)
                }
                _ = poll(waiting.baseAddress, nfds_t(waiting.count), -1)
            }
        }
    }

    /// Called by a stopping server: on Linux, shutting a listening socket down wakes every thread blocked in
    /// `accept` or `poll` on it, which closing it would not; further connections are refused.
    func shutdown() {
        for socket in sockets { socket.shutdown() }
    }

    /// Called by a stopped server once no thread can be in ``accept(counters:isStopping:)`` any more.
    func close() {
        for socket in sockets { socket.close() }
    }
}
