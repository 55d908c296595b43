import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// A client's connection in blocking mode, as the blocking and thread-pool models use it: the failures a server meets
/// on it are values, never errors thrown.
struct ConnectedSocket {
    /// Why a read or write ended a connection.
    enum Failure {
        /// It waited longer than the timeout for a stalled client (EAGAIN under SO_RCVTIMEO / SO_SNDTIMEO).
        case timedOut
        /// The client reset the connection or vanished (ECONNRESET, EPIPE), or another socket error.
        case reset
    }

    enum ReadResult {
        case received(Int)
        /// The client half-closed (read returned 0).
        case ended
        /// A signal came first: a stop's wake-up (``StopWake``).
        case interrupted
        case failed(Failure)
    }

    enum WriteResult {
        case wrote(Int)
        case failed(Failure)
    }

    let descriptor: Int32

    /// Settings for a connection on which the client talks and reads for a while (every protocol but greeting).
    func configureForRequests(timeout: Duration) {
        // SO_RCVTIMEO and SO_SNDTIMEO: a client that stops sending mid-request, or stops reading what it asked for,
        // frees its thread after `timeout` instead of holding it (and, in the blocking model, every other client)
        // for ever.
        setReceiveTimeout(timeout)
        var time = Self.timeValue(timeout)
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        // TCP_NODELAY, as SwiftNIO sets it, so the models compare fairly.
        SocketCalls.setNoDelay(descriptor)
    }

    /// How long the next reads may wait (a request's deadline shortens it, then the read timeout is put back).
    func setReceiveTimeout(_ timeout: Duration) {
        var time = Self.timeValue(timeout)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
    }

    func setReceiveTimeout(nanos: UInt64) {
        setReceiveTimeout(.nanoseconds(Int64(clamping: nanos)))
    }

    private static func timeValue(_ duration: Duration) -> timeval {
        let (seconds, attoseconds) = duration.components
        let micros = Int(attoseconds / 1_000_000_000_000)
        // At least a microsecond: a zero timeout would mean waiting for ever.
        return timeval(tv_sec: Int(seconds), tv_usec: seconds > 0 ? micros : max(1, micros))
    }

    /// Sends this side's FIN after what was written; reading goes on.
    func shutdownOutput() {
        _ = shutdown(descriptor, Int32(SHUT_WR))
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> ReadResult {
        while true {
            let count = recv(descriptor, buffer.baseAddress, buffer.count, 0)
            if count > 0 { return .received(count) }
            if count == 0 { return .ended }
            if errno == EINTR { return .interrupted }
            return .failed(Self.failure(errno))
        }
    }

    /// Writes some of `vectors` (one writev), resuming after signals; the bytes written, or why nothing could be.
    func write(_ vectors: UnsafePointer<iovec>, count: Int) -> WriteResult {
        while true {
            let written = SocketCalls.send(descriptor, vectors, count: count)
            if written >= 0 { return .wrote(written) }
            if errno != EINTR { return .failed(Self.failure(errno)) }
        }
    }

    private static func failure(_ code: Int32) -> Failure {
        code == EAGAIN || code == EWOULDBLOCK ? .timedOut : .reset
    }
}
