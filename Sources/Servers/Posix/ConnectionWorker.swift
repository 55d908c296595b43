#if canImport(Glibc)
import Glibc
#endif
import SystemCalls
import Wire

/// Serves connections over blocking sockets, one at a time, each from accept to close, with Wire's
/// ``ServerSession`` doing the talking: write what is owed, read when the session wants input, close when it is done.
///
/// The blocking model's thread owns one, and so does each thread-pool worker; it belongs to that thread, so it is
/// not Sendable and its buffers, session and generator are used without any synchronisation.
final class ConnectionWorker {
    private let configuration: ServerConfiguration
    private let session: ServerSession
    private let counters: CounterCells
    private let slot: ConnectionSlot
    private var random = WyRand()
    /// Reused for every connection the worker serves: 64 KiB by default, up to 16,384 pipelined request headers per
    /// read.
    private let readBuffer: UnsafeMutableRawBufferPointer
    /// The session's output pieces as writev takes them.
    private let vectors = UnsafeMutablePointer<iovec>.allocate(capacity: ServerSession.pieceLimit)

    init(
        configuration: ServerConfiguration, pool: RandomPool?, counters: CounterCells, slot: ConnectionSlot,
        readBufferBytes: Int = 1 << 16
    ) {
        self.configuration = configuration
        readBuffer = .allocate(byteCount: readBufferBytes, alignment: 16)
        session = ServerSession(
            .init(wireProtocol: configuration.wireProtocol, maxRequestBytes: configuration.maxRequestBytes, pool: pool))
        self.counters = counters
        self.slot = slot
    }

    deinit {
        readBuffer.deallocate()
        vectors.deallocate()
    }

    /// Serves the accepted connection `descriptor` to its end and closes it.
    func serve(_ descriptor: Int32) {
        let socket = ConnectedSocket(descriptor: descriptor)
        guard slot.occupy(descriptor) else {
            Glibc.close(descriptor)  // the stop was forced before this connection's turn came
            return
        }
        defer { slot.release() }
        session.reset()
        // No timeouts or TCP_NODELAY for the greeting: 81 bytes always fit in an empty send buffer, so the write
        // never blocks, and the two setsockopt calls would be a third of this model's syscalls per connection.
        if configuration.wireProtocol != .greeting { socket.configureForRequests(timeout: configuration.readTimeout) }
        if let limit = configuration.unsentLimit { SocketCalls.setUnsentLimit(descriptor, bytes: limit) }
        converse(on: socket)
    }

    // MARK: The conversation

    private func converse(on socket: ConnectedSocket) {
        // Input the session has not taken yet (it stops while it holds as many answers as it may), in readBuffer.
        var unread = 0..<0
        // The request being received, and when it must be whole.
        var timedRequest = 0
        var requestDeadline: ContinuousClock.Instant?
        while true {
            guard writeOwed(on: socket) else { return }
            if session.isFinished {
                if session.lingers { linger(on: socket) }
                return
            }
            guard session.wantsInput else { return }  // nothing owed, nothing wanted: the conversation is over
            if !unread.isEmpty {
                let received = session.receive(UnsafeRawBufferPointer(rebasing: readBuffer[unread]))
                counters.add(received)
                unread = (unread.lowerBound + received.consumed)..<unread.upperBound
                continue
            }
            // A request must be whole within the read timeout of its first byte: a slowloris that sends one byte
            // every few seconds would otherwise hold this thread for ever, each read well within its timeout.
            if session.isMidRequest {
                if session.requestsBegun != timedRequest || requestDeadline == nil {
                    timedRequest = session.requestsBegun
                    requestDeadline = ContinuousClock.now + configuration.readTimeout
                }
                let left = requestDeadline! - ContinuousClock.now
                guard left > .zero else {
                    counters.add(.headerTimeouts)
                    return
                }
                socket.setReceiveTimeout(left)
            } else if requestDeadline != nil {
                requestDeadline = nil
                socket.setReceiveTimeout(configuration.readTimeout)
            }
            switch socket.read(into: readBuffer) {
            case .received(let byteCount):
                unread = 0..<byteCount
            case .ended:
                counters.add(session.receiveEnd())
            case .failed(let failure):
                if failure == .timedOut && session.isMidRequest {
                    counters.add(.headerTimeouts)
                } else {
                    count(failure, whileReading: true)
                }
                return
            }
        }
    }

    /// After a refusal: closes this side, then reads and drops what the client still sends, up to its end, 64 KiB or
    /// a tenth of a second, so that the close that follows sends no reset over the answer (see
    /// ``ServerSession/lingers``).
    private func linger(on socket: ConnectedSocket) {
        socket.shutdownOutput()
        socket.setReceiveTimeout(.milliseconds(100))
        var dropped = 0
        while dropped < 1 << 16, case .received(let count) = socket.read(into: readBuffer) { dropped += count }
    }

    /// Hands everything the session owes to the socket; false when the client is gone (counted).
    private func writeOwed(on socket: ConnectedSocket) -> Bool {
        while true {
            let pieces = session.gather(using: &random)
            guard !pieces.isEmpty else { return true }
            // At most a MiB per call: a blocking writev returns only once all of it is written (or the send timeout
            // passes), and the counters should move while a client reads a large answer slowly.
            var used = 0
            var bytes = 0
            while used < pieces.count && (used == 0 || bytes + pieces[used].count <= 1 << 20) {
                let piece = pieces[used]
                vectors[used] = iovec(iov_base: UnsafeMutableRawPointer(mutating: piece.baseAddress), iov_len: piece.count)
                bytes += piece.count
                used += 1
            }
            switch socket.write(vectors, count: used) {
            case .wrote(let byteCount):
                counters.add(.bytesSent, byteCount)
                counters.add(.requests, session.advance(byteCount))
            case .failed(let failure):
                count(failure, whileReading: false)
                return false
            }
        }
    }

    private func count(_ failure: ConnectedSocket.Failure, whileReading reading: Bool) {
        switch failure {
        case .timedOut: counters.add(reading ? .readTimeouts : .writeTimeouts)
        case .reset: if !slot.isForced { counters.add(.resets) }
        }
    }
}
