#if canImport(Glibc)
import Glibc
#endif

/// The socket calls of the servers that Swift's Glibc module does not give as they are needed: accept4 (a GNU
/// extension the module hides) and a vectored send that never raises SIGPIPE.
public enum SocketCalls {
    private typealias Accept4 = @convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?,
        Int32) -> Int32

    /// accept4, looked up once, as the driver looks up epoll.
    private static let accept4: Accept4? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "accept4") else { return nil }
        return unsafeBitCast(symbol, to: Accept4.self)
    }()

    /// The next connection of `listener`, close-on-exec (a child process must not hold it open) and non-blocking
    /// when asked: in one call where accept4 exists, else accept and fcntl. -1 with errno when there is none.
    public static func accept(_ listener: Int32, nonBlocking: Bool) -> Int32 {
        if let accept4 {
            return accept4(listener, nil, nil, Int32(SOCK_CLOEXEC.rawValue) | (nonBlocking ? Int32(SOCK_NONBLOCK.rawValue) : 0))
        }
        let connection = Glibc.accept(listener, nil, nil)
        guard connection >= 0 else { return connection }
        _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
        if nonBlocking { _ = fcntl(connection, F_SETFL, fcntl(connection, F_GETFL) | O_NONBLOCK) }
        return connection
    }

    /// One sendmsg of `count` vectors: the bytes written, or -1 with errno. MSG_NOSIGNAL makes a peer that has gone
    /// away an EPIPE to count instead of a SIGPIPE that would kill the whole process.
    public static func send(_ descriptor: Int32, _ vectors: UnsafePointer<iovec>, count: Int) -> Int {
        var message = msghdr()
        message.msg_iov = UnsafeMutablePointer(mutating: vectors)
        message.msg_iovlen = count
        return sendmsg(descriptor, &message, Int32(MSG_NOSIGNAL))
    }

    /// TCP_NOTSENT_LOWAT: the socket takes more only while fewer than `bytes` of what it holds are unsent. Without it
    /// a loopback socket queues megabytes, and whatever a server writes later (a small answer's frame) waits behind
    /// them however the server orders its writes; HTTP/2 servers set it for the same reason.
    public static func setUnsentLimit(_ descriptor: Int32, bytes: Int) {
        var value = Int32(bytes)
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NOTSENT_LOWAT, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Turns the Nagle algorithm off: an answer smaller than a segment that follows one not yet acknowledged would
    /// otherwise wait for the client's delayed ACK (up to 40 ms).
    public static func setNoDelay(_ descriptor: Int32) {
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }
}
