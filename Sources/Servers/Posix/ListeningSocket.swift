#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP listening socket: the front door of the blocking and thread-pool models.
final class ListeningSocket: Sendable {
    let descriptor: Int32
    /// The address it listens on, with port 0 resolved.
    let address: ServerAddress

    /// How long `accept` backs off after a failure such as running out of descriptors.
    private static let backoffMicros: UInt32 = 10_000

    init(host: String, port: Int, backlog: Int) throws {
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = in_port_t(UInt16(clamping: port).bigEndian)
        guard inet_pton(AF_INET, host, &socketAddress.sin_addr) == 1 else {
            throw ServerStartError("\(host) is not an IPv4 address")
        }
        // Close-on-exec: a process that starts children (bench compare) must not hand them its listener.
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw ServerStartError("cannot create a socket", errno: errno) }
        do {
            // SO_REUSEADDR: a server started right after a run binds its port although the connections of that run
            // still linger in TIME_WAIT.
            var one: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            let bound = withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else { throw ServerStartError("cannot bind \(host):\(port)", errno: errno) }
            guard listen(descriptor, Int32(clamping: backlog)) == 0 else {
                throw ServerStartError("cannot listen on \(host):\(port)", errno: errno)
            }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let named = withUnsafeMutablePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
            }
            guard named == 0 else { throw ServerStartError("cannot read the bound port", errno: errno) }
        } catch {
            Glibc.close(descriptor)
            throw error
        }
        self.descriptor = descriptor
        address = ServerAddress(host: host, port: Int(UInt16(bigEndian: socketAddress.sin_port)))
    }

    /// The next connection, counted, or nil once `isStopping` holds (``shutdown()`` wakes a thread blocked here).
    ///
    /// A failure never ends the loop. It is counted, and unless the client merely gave up while queued
    /// (ECONNABORTED) the thread backs off for 10 ms: out of descriptors (EMFILE, ENFILE) or kernel memory, retrying
    /// at once would spin on a backlog that stays readable, while a pause lets the connections being served finish
    /// and give descriptors back.
    func accept(counters: CounterCells, isStopping: () -> Bool) -> Int32? {
        while true {
            let connection = Glibc.accept(descriptor, nil, nil)
            let code = errno
            if isStopping() {
                if connection >= 0 { Glibc.close(connection) }
                return nil
            }
            if connection >= 0 {
                // Close-on-exec, for the listener's reason: a child holding a copy would keep the connection open
                // after the server closes it. A separate call, since Swift's Glibc module hides the GNU accept4.
                _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
                counters.add(.connections)
                return connection
            }
            if code == EINTR { continue }
            counters.add(.acceptErrors)
            if code != ECONNABORTED { usleep(Self.backoffMicros) }
        }
    }

    /// Called by a stopping server: on Linux, shutting a listening socket down wakes every thread blocked in
    /// `accept` on it (the call fails with EINVAL), which closing it would not; further connections are refused.
    func shutdown() {
        _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR))
    }

    /// Called by a stopped server once no thread can be in ``accept(counters:isStopping:)`` any more.
    func close() {
        Glibc.close(descriptor)
    }
}
