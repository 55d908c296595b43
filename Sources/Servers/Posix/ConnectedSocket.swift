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
        case failed(Failure)
    }

    let descriptor: Int32

    /// Settings for a request-protocol connection, where the client talks and reads for a while.
    func configureForRequests(timeout: Duration) {
        // SO_RCVTIMEO and SO_SNDTIMEO: a client that stops sending mid-header, or stops reading what it asked for,
        // frees its thread after `timeout` instead of holding it (and, in the blocking model, every other client)
        // for ever.
        let (seconds, attoseconds) = timeout.components
        var time = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        let size = socklen_t(MemoryLayout<timeval>.size)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &time, size)
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &time, size)
        // TCP_NODELAY: the answer to a pipelined request is often smaller than a segment and follows one not yet
        // acknowledged; Nagle's algorithm would hold it until the client's delayed ACK (up to 40 ms). SwiftNIO sets
        // the same, so the models compare fairly.
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> ReadResult {
        while true {
            let count = recv(descriptor, buffer.baseAddress, buffer.count, 0)
            if count > 0 { return .received(count) }
            if count == 0 { return .ended }
            if errno == EINTR { continue }
            return .failed(Self.failure(errno))
        }
    }

    /// Writes every byte, or returns why it could not.
    func writeAll(_ bytes: UnsafeRawBufferPointer) -> Failure? {
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a client that has gone away yields EPIPE, to be counted, instead of a SIGPIPE that would
            // kill the whole server.
            let count = send(descriptor, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if count >= 0 {
                offset += count
            } else if errno != EINTR {
                return Self.failure(errno)
            }
        }
        return nil
    }

    private static func failure(_ code: Int32) -> Failure {
        code == EAGAIN || code == EWOULDBLOCK ? .timedOut : .reset
    }
}
