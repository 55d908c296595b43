import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// The machine floor's loopback sockets, with what tests that set up a connection's state by hand also need.
extension LoopbackSocket {
    /// Both ends of an established connection, the client's non-blocking; the listener is gone again.
    static func connectedPair() throws -> (client: Int32, server: Int32) {
        let (listener, port) = try listen()
        defer { close(listener) }
        let client = try connect(port: port, blocking: false)
        guard wait(listener, for: Int32(POLLIN)) != 0 else {
            close(client)
            throw SocketError("poll for accept", errno: ETIMEDOUT)
        }
        do {
            return (client, try accept(listener))
        } catch {
            close(client)
            throw error
        }
    }

    /// Waits up to 2 s for any of `events` on `fd`; returns what poll reported (0 on the deadline).
    static func wait(_ fd: Int32, for events: Int32) -> Int32 {
        var entry = pollfd(fd: fd, events: Int16(events), revents: 0)
        return poll(&entry, 1, 2_000) == 1 ? Int32(entry.revents) : 0
    }
}
