#if canImport(Glibc)
import Glibc
#endif

/// Plain sockets on 127.0.0.1 for tests that set up a connection's state by hand.
enum LoopbackSocket {
    struct Failure: Error {
        let call: String
        let errno: Int32
    }

    /// A listener on a port the kernel chooses.
    static func listen(backlog: Int32) throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && Glibc.listen(fd, backlog) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else {
            let error = errno
            close(fd)
            throw Failure(call: "listen", errno: error)
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// A non-blocking connect() to `port`: the handshake goes on in the kernel.
    static func startConnect(to port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        var address = loopback(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 || errno == EINPROGRESS else { throw Failure(call: "connect", errno: errno) }
        return fd
    }

    /// Both ends of an established connection; the listener is gone again.
    static func connectedPair() throws -> (client: Int32, server: Int32) {
        let (listener, port) = try listen(backlog: 1)
        defer { close(listener) }
        let client = try startConnect(to: port)
        let server = wait(listener, for: Int32(POLLIN)) != 0 ? accept(listener, nil, nil) : -1
        guard server >= 0 else {
            close(client)
            throw Failure(call: "accept", errno: errno)
        }
        return (client, server)
    }

    /// Waits up to 2 s for any of `events` on `fd`; returns what poll reported (0 on the deadline).
    static func wait(_ fd: Int32, for events: Int32) -> Int32 {
        var entry = pollfd(fd: fd, events: Int16(events), revents: 0)
        return poll(&entry, 1, 2_000) == 1 ? Int32(entry.revents) : 0
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}
