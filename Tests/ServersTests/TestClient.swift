import SystemCalls
#if canImport(Glibc)
import Glibc
#endif
import Wire

/// A blocking loopback client for the socket tests. Every read and write waits at most `timeoutSeconds`, so a server
/// that misbehaves fails a test instead of hanging it.
final class TestClient {
    /// How the server's side of the stream ended, as the client saw it.
    enum Ending: Equatable {
        case end
        case reset
        case timedOut
    }

    struct ConnectError: Error {
        let errno: Int32
    }

    private(set) var descriptor: Int32

    init(port: Int, host: String = "127.0.0.1", timeoutSeconds: Int = 10) throws {
        let address = SocketAddress(numericHost: host, port: port)!
        // Close-on-exec: tests of other targets may start processes, which must not keep this connection open.
        descriptor = address.makeSocket()
        guard descriptor >= 0 else { throw ConnectError(errno: errno) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = address.withSockaddr { connect(descriptor, $0, $1) }
        guard connected == 0 else {
            let code = errno
            close(descriptor)
            // A class whose init throws once every property is set is deinitialized: -1, or deinit would close the
            // number again, by then perhaps another thread's socket (a driver's, in a suite running beside this one).
            descriptor = -1
            throw ConnectError(errno: code)
        }
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Sends every byte; false if the connection failed first.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            guard count > 0 else { return false }
            offset += count
        }
        return true
    }

    /// Sends one header per size, all in one write (pipelined).
    @discardableResult
    func sendRequests(_ sizes: [UInt32]) -> Bool {
        send(sizes.flatMap { size in withUnsafeBytes(of: size.bigEndian) { Array($0) } })
    }

    /// Sends one multiplex request `[id][n]` per pair, all in one write.
    @discardableResult
    func sendFrames(_ requests: [(id: UInt32, size: UInt32)]) -> Bool {
        send(requests.flatMap { request in
            withUnsafeBytes(of: request.id.bigEndian) { Array($0) } + withUnsafeBytes(of: request.size.bigEndian) { Array($0) }
        })
    }

    /// Sends what the socket takes now without waiting; returns how many bytes that was.
    func sendSome(_ bytes: ArraySlice<UInt8>) -> Int {
        let count = bytes.withUnsafeBytes {
            Glibc.send(descriptor, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
        }
        return max(0, count)
    }

    /// What has arrived, waiting up to `waitingMillis` for the first byte; empty when nothing came.
    func readAvailable(waitingMillis: Int32) -> [UInt8] {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, waitingMillis) == 1 else { return [] }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let received = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        return received > 0 ? Array(chunk[..<received]) : []
    }

    /// Shuts down the sending side: the server sees EOF and should answer what it got, then close.
    func halfClose() {
        shutdown(descriptor, Int32(SHUT_WR))
    }

    /// Closes the connection with a reset (SO_LINGER 0) instead of a FIN: a client that vanishes. Nothing may be
    /// called on the client afterwards.
    func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close(descriptor)
        descriptor = -1
    }

    /// Reads exactly `count` bytes, or returns nil if the stream ends or fails first.
    func read(exactly count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let received = bytes.withUnsafeMutableBytes {
                recv(descriptor, $0.baseAddress! + offset, count - offset, 0)
            }
            guard received > 0 else { return nil }
            offset += received
        }
        return bytes
    }

    /// Reads until the server's side ends, and says how it ended.
    func readToEnd() -> (bytes: [UInt8], ending: Ending) {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let received = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if received > 0 {
                bytes += chunk[..<received]
            } else if received == 0 {
                return (bytes, .end)
            } else if errno != EINTR {
                return (bytes, errno == EAGAIN ? .timedOut : .reset)
            }
        }
    }
}
