import Atomics
import SystemCalls
import Wire

#if canImport(Glibc)
import Glibc
#endif

/// One loop of the io_uring model on its own thread, with its own ring and listening socket (SO_REUSEPORT, as the
/// epoll model's loops): completions instead of readiness. One multishot accept brings every new connection; one
/// multishot receive per connection brings its bytes in buffers of the ring's provided buffer ring; a connection's
/// answers go out as one sendmsg at a time, everything its session owes when the last one completed. What a turn
/// prepares (sends, receives made again, cancels, closes) goes to the kernel in the one system call that also waits
/// for the next completions.
///
/// Receives go on whether the session wants input or not, so bytes it cannot take yet are kept
/// (``LoopConnection/hold(_:)``) and offered once it can; past ``heldLimit`` the receive is cancelled, and a client
/// that sends without reading meets TCP's flow control as with the epoll model. A descriptor is closed (through the
/// ring) only once nothing is in flight on it, so that no completion can name a later connection's descriptor.
final class IOUringLoop: ServingLoop, @unchecked Sendable {
    // @unchecked: every stored var is used by the loop's thread alone, after `init` on the starting thread; the
    // counters and the stop flag are atomics.
    /// Made by ``run()`` on the loop's thread, the one thread that may use it.
    private var ring: IOUringRing!
    private let connections: LoopConnections<IOUringConnection>
    let listener: ListeningSocket
    let counters: CounterCells
    private let configuration: ServerConfiguration
    private let stopping: ManagedAtomic<Bool>
    private var accepting = false
    /// Set after an accept failure such as running out of descriptors: no accept is made again until then.
    private var acceptPausedUntil: UInt64?
    private var nextSweep: UInt64 = 0
    /// Closes submitted whose completion has not come: the loop ends only once they have.
    private var closesInFlight = 0

    private static let heldLimit = 1 << 16
    private static let sweepNanos: UInt64 = 250_000_000

    /// What a completion is of: the operation in the high half of its user data, the descriptor in the low.
    private enum Operation: UInt64 {
        case accept = 1, receive, send, close, cancel
    }

    private static func userData(_ operation: Operation, _ fd: Int32 = -1) -> UInt64 {
        operation.rawValue << 32 | UInt64(UInt32(bitPattern: fd))
    }

    init(
        _ configuration: ServerConfiguration, listener: ListeningSocket, sessions: SessionFactory,
        stopping: ManagedAtomic<Bool>
    ) throws(ServerUnavailable) {
        if let reason = IOUringRing.refusal { throw ServerUnavailable(reason) }
        self.configuration = configuration
        self.listener = listener
        self.stopping = stopping
        counters = CounterCells()
        connections = LoopConnections(configuration, sessions: sessions, counters: counters)
    }

    /// Closes what a loop that never ran opened.
    func discard() {
        listener.close()
    }

    // MARK: Running

    /// The loop's thread: serves until a stop, then tells every session, lets open connections finish for up to the drain timeout, closes
    /// the rest, and returns with every descriptor it opened closed.
    func run() {
        // The probe at start made the same ring; should this one still be refused (out of locked memory), this
        // loop's share of the port goes to the others.
        guard let ring = try? IOUringRing() else { return discard() }
        self.ring = ring
        while !stopping.load(ordering: .relaxed) { turn(timeoutNanos: 100_000_000) }
        if accepting { ring.cancel(Self.userData(.accept), userData: Self.userData(.cancel)) }
        // The cancel is submitted with the next turn; until then the socket is the pending accept's, not the
        // descriptor's, and connections it still brings are closed as they come.
        listener.close()
        connections.beginStop { settle($0, $1, now: MonotonicClock.nanos()) }
        let drainUntil = MonotonicClock.nanos() + MonotonicClock.nanos(configuration.drainTimeout)
        while connections.open > 0 && MonotonicClock.nanos() < drainUntil { turn(timeoutNanos: 10_000_000) }
        for fd in connections.descriptors { closeConnection(fd, lost: false) }
        // Cancels and closes complete at once; the bound only keeps a kernel that misbehaves from holding the stop.
        let settleUntil = MonotonicClock.nanos() + 1_000_000_000
        while (connections.open > 0 || closesInFlight > 0) && MonotonicClock.nanos() < settleUntil {
            turn(timeoutNanos: 10_000_000)
        }
        for fd in connections.descriptors { Glibc.close(Int32(fd)) }
        ring.release()
    }

    /// One submission and wait, and the completions it brought; the accept is made again once a pause is over, and
    /// deadlines are checked four times a second.
    private func turn(timeoutNanos: UInt64) {
        let stopped = stopping.load(ordering: .relaxed)
        if !accepting && !stopped && acceptPausedUntil.map({ MonotonicClock.nanos() >= $0 }) != false {
            acceptPausedUntil = nil
            accepting = true
            ring.acceptAll(listener.descriptor, userData: Self.userData(.accept))
        }
        var timeout = timeoutNanos
        if let due = connections.nextDue {
            let now = MonotonicClock.nanos()
            timeout = due > now ? min(timeout, due - now) : 0
        }
        ring.submitAndWait(timeoutNanos: timeout)
        let now = MonotonicClock.nanos()
        ring.complete { completion in
            let fd = Int32(truncatingIfNeeded: completion.userData)
            switch Operation(rawValue: completion.userData >> 32) {
            case .accept: accepted(completion, now: now)
            case .receive: received(fd, completion, now: now)
            case .send: sent(fd, completion, now: now)
            case .close: closesInFlight -= 1
            case .cancel, nil: break
            }
        }
        while let (fd, connection) = connections.nextWaited(now: now) { settle(fd, connection, now: now) }
        if now >= nextSweep {
            nextSweep = now + Self.sweepNanos
            connections.sweep(now: now) { closeConnection($0, lost: false) }
        }
    }

    // MARK: Accepting

    private func accepted(_ completion: IOUringRing.Completion, now: UInt64) {
        if !completion.more { accepting = false }
        let fd = completion.result
        guard fd >= 0 else {
            counters.add(.acceptErrors)
            // Out of descriptors (or memory), accepting again at once would fail again: it waits 10 ms, as the
            // other models back off.
            if -fd != ECONNABORTED {
                acceptPausedUntil = now + 10_000_000
                if completion.more { ring.cancel(Self.userData(.accept), userData: Self.userData(.cancel)) }
            }
            return
        }
        if stopping.load(ordering: .relaxed) {
            Glibc.close(fd)
            return
        }
        counters.add(.connections)
        settle(fd, connections.begin(fd, now: now), now: now)
    }

    // MARK: Serving

    /// A receive's completion: bytes for the session (or kept for it), the client's end, or the receive's end.
    private func received(_ fd: Int32, _ completion: IOUringRing.Completion, now: UInt64) {
        guard let connection = connections[Int(fd)] else { return }
        if !completion.more {
            connection.receiving = false
            connection.receiveCancelled = false
        }
        let count = Int(completion.result)
        if connection.closing { return finishClosing(fd, connection) }
        if connection.lingering != nil {
            if count == -ENOBUFS { return keepReceiving(fd, connection) }
            // The client's end, a failure, or enough dropped: done.
            if count <= 0 || connection.lingering!.drop(count) { closeConnection(Int(fd), lost: false) }
            return
        }
        if let bytes = completion.bytes, count > 0 {
            if connection.hasUnread || !connection.session.wantsInput || connection.waiting != nil {
                connection.hold(bytes)
            } else {
                let input = connection.feed(bytes, now: now)
                counters.add(input)
                connections.work(input.work, fd, connection)
            }
        } else if count == 0 {
            counters.add(connection.end())
        } else if -count != ENOBUFS && -count != ECANCELED {
            // The buffer ring ran dry (the receive is made again below) or the receive was cancelled; anything
            // else is the connection's failure.
            return closeConnection(Int(fd), lost: true)
        }
        settle(fd, connection, now: now)
    }

    /// A send's completion: what the socket took is handed over, and the rest (or what is owed since) goes next.
    private func sent(_ fd: Int32, _ completion: IOUringRing.Completion, now: UInt64) {
        guard let connection = connections[Int(fd)] else { return }
        connection.sending = false
        if connection.closing { return finishClosing(fd, connection) }
        let written = Int(completion.result)
        guard written > 0 else { return closeConnection(Int(fd), lost: true) }
        counters.add(.bytesSent, written)
        counters.add(.requests, connection.session.advance(written))
        connection.deadlines.moved(now: now)
        settle(fd, connection, now: now)
    }

    /// After input or a send: takes held input while the session wants it, sends what is owed, then closes a
    /// finished connection or keeps it receiving as its session needs.
    private func settle(_ fd: Int32, _ connection: IOUringConnection, now: UInt64) {
        guard !connection.closing, connection.lingering == nil, connection.waiting == nil else { return }
        let session = connection.session
        while !connection.sending, session.wantsInput, let input = connection.feedUnread(now: now) {
            counters.add(input)
            connections.work(input.work, fd, connection)
            if connection.waiting != nil { return }
            send(fd, connection)
        }
        send(fd, connection)
        if connection.sending { return receive(fd, connection) }
        if session.isFinished {
            if session.lingers { return linger(fd, connection, now: now) }
            return closeConnection(Int(fd), lost: false)
        }
        receive(fd, connection)
    }

    /// Starts a send of everything the session owes, unless one is in flight.
    private func send(_ fd: Int32, _ connection: IOUringConnection) {
        guard !connection.sending else { return }
        let pieces = connection.session.gather(using: &connections.random)
        guard !pieces.isEmpty else { return }
        connection.prepare(pieces)
        connection.sending = true
        ring.send(fd, connection.message, userData: Self.userData(.send, fd))
    }

    /// Keeps a receive in flight while the session may want input and not too much is held, and cancels it once
    /// too much is.
    private func receive(_ fd: Int32, _ connection: IOUringConnection) {
        if connection.unreadCount >= Self.heldLimit {
            if connection.receiving && !connection.receiveCancelled {
                connection.receiveCancelled = true
                ring.cancel(Self.userData(.receive, fd), userData: Self.userData(.cancel))
            }
            return
        }
        if connection.session.wantsInput { keepReceiving(fd, connection) }
    }

    /// After a refusal: this side is shut down, and the client's rest is received and dropped as ``LingeringClose``
    /// says (its time limit is kept by the sweep).
    private func linger(_ fd: Int32, _ connection: IOUringConnection, now: UInt64) {
        connection.lingering = LingeringClose(now: now)
        _ = shutdown(fd, Int32(SHUT_WR))
        keepReceiving(fd, connection)
    }

    /// Makes a receive unless one is in flight.
    private func keepReceiving(_ fd: Int32, _ connection: IOUringConnection) {
        guard !connection.receiving else { return }
        connection.receiving = true
        ring.receiveAll(fd, userData: Self.userData(.receive, fd))
    }

    // MARK: Closing

    /// Closes `fd` once nothing is in flight on it (cancelling what is), and keeps its state for a later
    /// connection; `lost`: the client went away before the conversation ended, counted as a reset unless a stop
    /// cut it.
    private func closeConnection(_ fd: Int, lost: Bool) {
        guard let connection = connections[fd], !connection.closing else { return }
        connection.closing = true
        counters.add(.closed)
        if lost && !stopping.load(ordering: .relaxed) { counters.add(.resets) }
        if connection.busy { ring.cancelAll(Int32(fd), userData: Self.userData(.cancel)) }
        finishClosing(Int32(fd), connection)
    }

    /// A closing connection's descriptor goes once its last request has completed.
    private func finishClosing(_ fd: Int32, _ connection: IOUringConnection) {
        guard !connection.busy, connections.remove(Int(fd)) != nil else { return }
        closesInFlight += 1
        ring.close(fd, userData: Self.userData(.close, fd))
    }
}
