import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// A TCP listening socket: the front door of the blocking and thread-pool models (see ``ListenerSet``).
final class ListeningSocket: Sendable {
    /// What one ``acceptOnce(counters:isStopping:)`` got.
    enum Accepted {
        case connection(Int32)
        /// A stop has begun: accept no more.
        case stopping
        /// Nothing this time: a socket shared with others found its queue empty, the call was interrupted, or a
        /// failure was counted (and waited out).
        case nothing
    }

    let descriptor: Int32
    /// The address it listens on, with port 0 resolved.
    let address: ServerAddress

    /// How long `accept` backs off after a failure such as running out of descriptors.
    private static let backoffMicros: UInt32 = 10_000

    /// `sharingPort`: one of several sockets on the same port (SO_REUSEPORT), which the kernel spreads new
    /// connections over; such a socket never blocks in `accept`, as one thread takes from all of them.
    init(host: String, port: Int, backlog: Int, sharingPort: Bool = false) throws {
        guard var socketAddress = SocketAddress(numericHost: host, port: port) else {
            throw ServerStartError("\(host) is not an IPv4 or IPv6 address")
        }
        // Close-on-exec: a process that starts children (bench compare) must not hand them its listener.
        let descriptor = socketAddress.makeSocket()
        guard descriptor >= 0 else { throw ServerStartError("cannot create a socket", errno: errno) }
        do {
            // SO_REUSEADDR: a server started right after a run binds its port although the connections of that run
            // still linger in TIME_WAIT.
            var one: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            if sharingPort {
                setsockopt(descriptor, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
                _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            }
            guard socketAddress.withSockaddr({ bind(descriptor, $0, $1) }) == 0 else {
                throw ServerStartError("cannot bind \(socketAddress)", errno: errno)
            }
            guard listen(descriptor, Int32(clamping: backlog)) == 0 else {
                throw ServerStartError("cannot listen on \(socketAddress)", errno: errno)
            }
            guard let bound = SocketAddress(boundTo: descriptor) else {
                throw ServerStartError("cannot read the bound port", errno: errno)
            }
            socketAddress = bound
        } catch {
            Glibc.close(descriptor)
            throw error
        }
        self.descriptor = descriptor
        address = ServerAddress(host: host, port: socketAddress.port)
    }

    /// A listening socket this process was given, blocking (prefork workers share one, and the kernel wakes one
    /// worker per connection waiting in `accept`).
    init(adopting descriptor: Int32, host: String) throws {
        guard let bound = SocketAddress(boundTo: descriptor) else {
            throw ServerStartError("descriptor \(descriptor) is not a listening socket", errno: errno)
        }
        self.descriptor = descriptor
        address = ServerAddress(host: host, port: bound.port)
    }

    /// One accept: a connection, counted; `.stopping` once `isStopping` holds (``shutdown()`` wakes a thread
    /// blocked here); or `.nothing`.
    ///
    /// A failure is counted, and unless the client merely gave up while queued (ECONNABORTED) the thread backs off
    /// for 10 ms: out of descriptors (EMFILE, ENFILE) or kernel memory, retrying at once would spin on a backlog that
    /// stays readable, while a pause lets the connections being served finish and give descriptors back.
    func acceptOnce(counters: CounterCells, isStopping: () -> Bool) -> Accepted {
        let connection = SocketCalls.accept(descriptor, nonBlocking: false)
        let code = errno
        if isStopping() {
            if connection >= 0 { Glibc.close(connection) }
            return .stopping
        }
        if connection >= 0 {
            counters.add(.connections)
            return .connection(connection)
        }
        if code == EINTR || code == EAGAIN || code == EWOULDBLOCK { return .nothing }
        counters.add(.acceptErrors)
        if code != ECONNABORTED { usleep(Self.backoffMicros) }
        return .nothing
    }

    /// Called by a stopping server: on Linux, shutting a listening socket down wakes every thread blocked in
    /// `accept` on it (the call fails with EINVAL), which closing it would not; further connections are refused.
    func shutdown() {
        _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR))
    }

    /// Called by a stopped server once no thread can be in ``acceptOnce(counters:isStopping:)`` any more.
    func close() {
        Glibc.close(descriptor)
    }
}
