#if canImport(Glibc)
import Glibc
#endif

/// Why a socket call failed: which call, with errno's text.
public struct SocketError: Error, Sendable, CustomStringConvertible {
    /// The failed call and the system's reason, e.g. "connect: Connection refused".
    public let description: String

    public init(_ call: String, errno code: Int32 = errno) {
        description = "\(call): \(String(cString: strerror(code)))"
    }
}

/// Blocking TCP sockets on 127.0.0.1: the plain system calls the machine floor times, which the driver's tests use
/// to set connections up by hand too.
public enum LoopbackSocket {
    /// A listening socket on 127.0.0.1 at a free port, and that port (network byte order).
    public static func listen(backlog: Int32 = 8) throws -> (fd: Int32, port: in_port_t) {
        let fd = try open()
        let address = loopback(port: 0)  // port 0: the kernel picks a free one, so runs never collide
        // The floor's backlog is a few: the client connects and the same thread accepts right after, so at most
        // one connection ever waits; the kernel completes the handshake without accept, so connect returns first.
        guard address.withSockaddr({ bind(fd, $0, $1) }) == 0, Glibc.listen(fd, backlog) == 0 else {
            let error = SocketError("bind/listen")
            close(fd)
            throw error
        }
        guard let bound = SocketAddress(boundTo: fd) else {
            let error = SocketError("getsockname")
            close(fd)
            throw error
        }
        return (fd, in_port_t(UInt16(bound.port)).bigEndian)
    }

    /// A socket connected to 127.0.0.1 at `port` (network byte order); non-blocking, one whose handshake may still
    /// be going on in the kernel.
    public static func connect(port: in_port_t, blocking: Bool = true) throws -> Int32 {
        let fd = try open(blocking: blocking)
        let connected = loopback(port: Int(UInt16(bigEndian: port))).withSockaddr { Glibc.connect(fd, $0, $1) }
        guard connected == 0 || (!blocking && errno == EINPROGRESS) else {
            let error = SocketError("connect")
            close(fd)
            throw error
        }
        return fd
    }

    /// The next connection waiting on `listener`.
    public static func accept(_ listener: Int32) throws -> Int32 {
        // Close-on-exec for the reason given in `open`.
        let fd = SocketCalls.accept(listener, nonBlocking: false)
        guard fd >= 0 else { throw SocketError("accept") }
        return fd
    }

    /// Writes all of `bytes`, resuming after short writes and signals.
    public static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            // MSG_NOSIGNAL: a peer that went away yields EPIPE here instead of a SIGPIPE that kills the process.
            let written = send(fd, bytes.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL))
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw SocketError("write") }
            done += written
        }
    }

    /// Reads until `buffer` is full, resuming after short reads and signals; an early end of stream is an error.
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws {
        var done = 0
        while done < buffer.count {
            let received = recv(fd, buffer.baseAddress! + done, buffer.count - done, 0)
            if received < 0 && errno == EINTR { continue }
            guard received >= 0 else { throw SocketError("read") }
            guard received > 0 else { throw SocketError("read (closed early)", errno: EPROTO) }
            done += received
        }
    }

    private static func open(blocking: Bool = true) throws -> Int32 {
        // SOCK_CLOEXEC (makeSocket sets it): bench compare measures the floor in the process that starts the server
        // children; without it a child started meanwhile would inherit, and hold open, these sockets.
        let fd = loopback(port: 0).makeSocket(nonBlocking: !blocking)
        guard fd >= 0 else { throw SocketError("socket") }
        return fd
    }

    private static func loopback(port: Int) -> SocketAddress {
        SocketAddress(numericHost: "127.0.0.1", port: port)!
    }
}
