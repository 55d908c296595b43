#if canImport(Glibc)
import Glibc
#endif
import SystemCalls
import Wire

/// Serves connections over blocking sockets, one at a time, each from accept to close, with Wire's
/// ``ServerSession`` doing the talking: write what is owed, read when the session wants input, close when it is done.
/// Every read waits at most until the connection's next deadline (``ConnectionDeadlines``): a thread that blocks on
/// a read must never wait for ever, whatever the protocol.
///
/// The blocking model's thread owns one, and so does each thread-pool worker; it belongs to that thread, so it is
/// not Sendable and its buffers, session and generator are used without any synchronisation.
final class ConnectionWorker {
    private let configuration: ServerConfiguration
    /// The client says something (every protocol but a plaintext greeting): its connections are timed and given
    /// TCP_NODELAY.
    private let clientSends: Bool
    private let sessions: SessionFactory
    private let session: any ServerSession
    private var deadlines: ConnectionDeadlines
    private let counters: CounterCells
    private let slot: ConnectionSlot
    private var random = WyRand()
    /// The session of the connection served now has been told of the stop.
    private var toldOfStop = false
    /// Reused for every connection the worker serves: 64 KiB by default, up to 16,384 pipelined request headers per
    /// read.
    private let readBuffer: UnsafeMutableRawBufferPointer
    /// The session's output pieces as writev takes them.
    private let vectors = UnsafeMutablePointer<iovec>.allocate(capacity: ServerSessionLimits.pieces)

    init(
        configuration: ServerConfiguration, sessions: SessionFactory, counters: CounterCells, slot: ConnectionSlot,
        readBufferBytes: Int = 1 << 16
    ) {
        self.configuration = configuration
        readBuffer = .allocate(byteCount: readBufferBytes, alignment: 16)
        self.sessions = sessions
        session = sessions.make()
        clientSends = sessions.clientSends
        deadlines = ConnectionDeadlines(timeout: configuration.readTimeout)
        self.counters = counters
        self.slot = slot
        // Made on the thread that serves with it.
        StopWake.unblockHere()
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
        toldOfStop = false
        // No timeouts or TCP_NODELAY for the greeting: 81 bytes always fit in an empty send buffer, so the write
        // never blocks, and the two setsockopt calls would be a third of this model's syscalls per connection.
        if clientSends { socket.configureForRequests(timeout: configuration.readTimeout) }
        if let limit = configuration.wireProtocol.traits.unsentLimit { SocketCalls.setUnsentLimit(descriptor, bytes: limit) }
        WorkPerformer.perform(sessions.connectionWork(using: &random), waitHere: true, counters: counters)
        converse(on: socket)
    }

    // MARK: The conversation

    private func converse(on socket: ConnectedSocket) {
        // Input the session has not taken yet (it stops while it holds as many answers as it may), in readBuffer.
        var unread = 0..<0
        let timed = clientSends
        if timed { deadlines.start(now: MonotonicClock.nanos()) }
        var shortenedWait: UInt64?
        while true {
            noticeStop()
            guard writeOwed(on: socket) else { return }
            if session.isFinished {
                if session.lingers { linger(on: socket) }
                return
            }
            guard session.wantsInput else { return }  // nothing owed, nothing wanted: the conversation is over
            if !unread.isEmpty || session.hasHeldInput {
                let owed = !session.owesNothing
                let received = session.receive(UnsafeRawBufferPointer(rebasing: readBuffer[unread]))
                counters.add(received)
                // A thread serves one connection, so its requests' work, waits included, is done right here.
                WorkPerformer.perform(received.work, waitHere: true, counters: counters)
                unread = (unread.lowerBound + received.consumed)..<unread.upperBound
                if timed { deadlines.track(session, owedBefore: owed, now: MonotonicClock.nanos()) }
                continue
            }
            if timed {
                let now = MonotonicClock.nanos()
                if let expired = deadlines.expired(now: now, owesNothing: session.owesNothing) {
                    return counters.add(expired)
                }
                // The socket's receive timeout, set to the read timeout for the connection, is an idle client's
                // deadline (a read starts as the connection last moved). A request begun shortens it to the
                // request's own: a slowloris that sends one byte every few seconds would otherwise hold this thread
                // for ever, each read well within the timeout.
                let wait = deadlines.requestStarted == nil ? nil : deadlines.next - now
                if wait != shortenedWait {
                    socket.setReceiveTimeout(nanos: wait ?? deadlines.timeoutNanos)
                    shortenedWait = wait
                }
            }
            switch socket.read(into: readBuffer) {
            case .received(let byteCount):
                unread = 0..<byteCount
            case .ended:
                counters.add(session.receiveEnd())
            case .interrupted:
                continue
            case .failed(.timedOut):
                let now = MonotonicClock.nanos()
                return counters.add(deadlines.expired(now: now, owesNothing: session.owesNothing) ?? .readTimeouts)
            case .failed(.reset):
                if !slot.isForced { counters.add(.resets) }
                return
            }
        }
    }

    /// After a refusal: closes this side, then reads and drops what the client still sends, as ``LingeringClose``
    /// says, so that the close that follows sends no reset over the answer.
    private func linger(on socket: ConnectedSocket) {
        socket.shutdownOutput()
        var lingering = LingeringClose(now: MonotonicClock.nanos())
        while true {
            let now = MonotonicClock.nanos()
            guard !lingering.isOver(now: now) else { return }
            socket.setReceiveTimeout(nanos: lingering.endNanos - now)
            switch socket.read(into: readBuffer) {
            case .received(let count):
                if lingering.drop(count) { return }
            case .interrupted:
                noticeStop()  // and no more wake-ups: a refused client has nothing more to hear
            case .ended, .failed:
                return
            }
        }
    }

    /// Tells the session once that the server is stopping (``ServerSession/beginStop()``), when it is.
    private func noticeStop() {
        guard !toldOfStop && slot.isStopping else { return }
        toldOfStop = true
        session.beginStop()
        slot.noticeStop()
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
                if clientSends { deadlines.moved(now: MonotonicClock.nanos()) }
            case .failed(.timedOut):
                counters.add(.writeTimeouts)
                return false
            case .failed(.reset):
                if !slot.isForced { counters.add(.resets) }
                return false
            }
        }
    }
}
