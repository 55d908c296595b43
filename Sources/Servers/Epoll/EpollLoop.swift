import Atomics
import SystemCalls
import Wire

#if canImport(Glibc)
import Glibc
#endif

/// One event loop of the epoll model on its own thread: a listening socket of its own (SO_REUSEPORT, so the kernel
/// spreads new connections over the loops), non-blocking connections, each with a ``ServerSession``, served as
/// epoll says they are ready. Level-triggered: a connection is watched for input only while its session wants
/// input and for writability only while output is waiting, so no event comes for nothing.
///
/// Nothing is allocated per request, and after warmup nothing per connection: a closed connection's state, session
/// included, is kept for the next one. Everything here belongs to the loop's thread; only `stopping` crosses.
final class EpollLoop: ServingLoop, @unchecked Sendable {
    // @unchecked: every stored var is used by the loop's thread alone, after `init` on the starting thread; the
    // counters and the stop flag are atomics.
    private let configuration: ServerConfiguration
    let listener: ListeningSocket
    let counters: CounterCells
    private let stopping: ManagedAtomic<Bool>
    private let epoll: Epoll
    private let connections: LoopConnections<EpollConnection>
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    private let vectors = UnsafeMutablePointer<iovec>.allocate(capacity: ServerSessionLimits.pieces)
    /// Set after an accept failure such as running out of descriptors: the listener is not watched until then.
    private var listenerPausedUntil: UInt64?
    private var nextSweep: UInt64 = 0

    private static let listenerTag = UInt64.max
    private static let acceptsPerWakeup = 64
    private static let sweepNanos: UInt64 = 250_000_000

    init(
        _ configuration: ServerConfiguration, listener: ListeningSocket, sessions: SessionFactory,
        stopping: ManagedAtomic<Bool>
    ) throws {
        guard let epoll = Epoll(capacity: 512) else { throw ServerStartError("cannot create an epoll instance", errno: errno) }
        self.configuration = configuration
        self.listener = listener
        self.stopping = stopping
        self.epoll = epoll
        counters = CounterCells()
        connections = LoopConnections(configuration, sessions: sessions, counters: counters)
        guard epoll.add(listener.descriptor, events: Epoll.readable, data: Self.listenerTag) else {
            epoll.release()
            throw ServerStartError("cannot watch the listening socket", errno: errno)
        }
    }

    deinit {
        readBuffer.deallocate()
        vectors.deallocate()
    }

    /// Closes what a loop that never ran opened.
    func discard() {
        listener.close()
        epoll.release()
    }

    // MARK: Running

    /// The loop's thread: serves until a stop, then tells every session, lets open connections finish for up to the drain timeout, closes
    /// the rest, and returns with every descriptor it opened closed.
    func run() {
        while !stopping.load(ordering: .relaxed) { turn(timeoutNanos: 100_000_000) }
        listener.close()
        connections.beginStop { settle($0, $1, now: MonotonicClock.nanos()) }
        let drainUntil = MonotonicClock.nanos() + MonotonicClock.nanos(configuration.drainTimeout)
        while connections.open > 0 && MonotonicClock.nanos() < drainUntil { turn(timeoutNanos: 10_000_000) }
        for fd in connections.descriptors { closeConnection(fd, lost: false) }
        epoll.release()
    }

    /// One wait and the events it brought; the listener comes back once a pause is over, and deadlines are checked
    /// four times a second.
    private func turn(timeoutNanos: UInt64) {
        var timeout = timeoutNanos
        if let due = connections.nextDue {
            let now = MonotonicClock.nanos()
            timeout = due > now ? min(timeout, due - now) : 0
        }
        let ready = epoll.wait(timeoutNanos: timeout)
        let now = MonotonicClock.nanos()
        for index in 0..<ready {
            let (events, data) = epoll.event(index)
            if data == Self.listenerTag { acceptAll(now: now) } else { handle(Int(data), events: events, now: now) }
        }
        while let (fd, connection) = connections.nextWaited(now: now) { settle(fd, connection, now: now) }
        if let until = listenerPausedUntil, now >= until, !stopping.load(ordering: .relaxed) {
            listenerPausedUntil = nil
            _ = epoll.add(listener.descriptor, events: Epoll.readable, data: Self.listenerTag)
        }
        if now >= nextSweep {
            nextSweep = now + Self.sweepNanos
            connections.sweep(now: now) { closeConnection($0, lost: false) }
        }
    }

    // MARK: Accepting

    private func acceptAll(now: UInt64) {
        guard !stopping.load(ordering: .relaxed) else { return }
        for _ in 0..<Self.acceptsPerWakeup {
            let fd = SocketCalls.accept(listener.descriptor, nonBlocking: true)
            guard fd >= 0 else {
                let code = errno
                if code == EAGAIN || code == EWOULDBLOCK || code == EINTR { return }
                counters.add(.acceptErrors)
                // Out of descriptors (or memory), the listener would stay readable and bring the loop straight back
                // here: it is set aside for 10 ms, as the other models back off.
                if code != ECONNABORTED {
                    _ = epoll.remove(listener.descriptor)
                    listenerPausedUntil = now + 10_000_000
                    return
                }
                continue
            }
            counters.add(.connections)
            settle(fd, connections.begin(fd, now: now), now: now)
        }
    }

    // MARK: Serving

    private func handle(_ fd: Int, events: UInt32, now: UInt64) {
        guard let connection = connections[fd] else { return }
        if connection.lingering != nil { return linger(Int32(fd), connection, now: now) }
        if events & Epoll.writable != 0 { connection.blockedOnWrite = false }
        if events & (Epoll.readable | Epoll.readHangUp | Epoll.hangUp | Epoll.error) != 0 {
            guard read(fd, connection, now: now) else { return }
        }
        settle(Int32(fd), connection, now: now)
    }

    /// Reads while the session wants input and holds no bytes back, until the socket has no more for now; false when
    /// the connection was closed on the way.
    private func read(_ fd: Int, _ connection: EpollConnection, now: UInt64) -> Bool {
        while connection.session.wantsInput && !connection.hasUnread && connection.waiting == nil {
            let count = Glibc.read(Int32(fd), readBuffer.baseAddress, readBuffer.count)
            if count > 0 {
                let received = connection.feed(UnsafeRawBufferPointer(rebasing: readBuffer[..<count]), now: now)
                counters.add(received)
                connections.work(received.work, Int32(fd), connection)
                guard write(Int32(fd), connection) else { return false }
                if count < readBuffer.count { break }  // the socket is drained for now
            } else if count == 0 {
                counters.add(connection.end())
                break
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                break
            } else if errno != EINTR {
                closeConnection(fd, lost: true)
                return false
            }
        }
        return true
    }

    /// Writes what the session owes while the socket takes it; false when the client is gone (closed, counted).
    private func write(_ fd: Int32, _ connection: EpollConnection) -> Bool {
        guard !connection.blockedOnWrite, connection.waiting == nil else { return true }
        let session = connection.session
        while true {
            let pieces = session.gather(using: &connections.random)
            guard !pieces.isEmpty else { return true }
            for (index, piece) in pieces.enumerated() {
                vectors[index] = iovec(iov_base: UnsafeMutableRawPointer(mutating: piece.baseAddress), iov_len: piece.count)
            }
            let written = SocketCalls.send(fd, vectors, count: pieces.count)
            if written > 0 {
                counters.add(.bytesSent, written)
                counters.add(.requests, session.advance(written))
                connection.deadlines.moved(now: MonotonicClock.nanos())
                continue
            }
            if written < 0 && errno == EINTR { continue }
            if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                connection.blockedOnWrite = true  // writability will be news
                return true
            }
            closeConnection(Int(fd), lost: true)
            return false
        }
    }

    /// After input or writability: writes what is owed, then closes a finished connection or watches it for what
    /// its session waits on now (an epoll_ctl only when that changed).
    private func settle(_ fd: Int32, _ connection: EpollConnection, now: UInt64) {
        guard write(fd, connection) else { return }
        while connection.session.wantsInput, connection.waiting == nil, let received = connection.feedUnread(now: now) {
            counters.add(received)
            connections.work(received.work, fd, connection)
            guard write(fd, connection) else { return }
        }
        if connection.waiting != nil {
            // Out of epoll until the wait ends: watched for nothing, a hang-up would still be reported over and over.
            if connection.interest != 0 && epoll.remove(fd) { connection.interest = 0 }
            return
        }
        let session = connection.session
        if session.isFinished {
            if session.lingers { return linger(fd, connection, now: now) }
            return closeConnection(Int(fd), lost: false)
        }
        var wanted: UInt32 = 0
        if session.wantsInput || connection.lingering != nil { wanted |= Epoll.readable | Epoll.readHangUp }
        if connection.blockedOnWrite { wanted |= Epoll.writable }
        guard wanted != connection.interest else { return }
        let changed = connection.interest == 0
            ? epoll.add(fd, events: wanted, data: UInt64(fd)) : epoll.modify(fd, events: wanted, data: UInt64(fd))
        if changed { connection.interest = wanted } else { closeConnection(Int(fd), lost: true) }
    }

    /// After a refusal: this side is shut down, and the client's rest is read and dropped as ``LingeringClose`` says
    /// (its time limit is kept by the sweep).
    private func linger(_ fd: Int32, _ connection: EpollConnection, now: UInt64) {
        if connection.lingering == nil {
            connection.lingering = LingeringClose(now: now)
            _ = shutdown(fd, Int32(SHUT_WR))
        }
        while true {
            let count = Glibc.read(fd, readBuffer.baseAddress, readBuffer.count)
            if count > 0 {
                if connection.lingering!.drop(count) { return closeConnection(Int(fd), lost: false) }
                continue
            }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { break }
            return closeConnection(Int(fd), lost: false)  // the end, or an error: done either way
        }
        let wanted = Epoll.readable | Epoll.readHangUp
        if wanted != connection.interest {
            _ = connection.interest == 0
                ? epoll.add(fd, events: wanted, data: UInt64(fd)) : epoll.modify(fd, events: wanted, data: UInt64(fd))
            connection.interest = wanted
        }
    }

    // MARK: Closing

    /// Closes `fd` (which also takes it out of epoll) and keeps its state for a later connection; `lost`: the client
    /// went away before the conversation ended, counted as a reset unless a stop cut it.
    private func closeConnection(_ fd: Int, lost: Bool) {
        guard connections.remove(fd) != nil else { return }
        Glibc.close(Int32(fd))
        counters.add(.closed)
        if lost && !stopping.load(ordering: .relaxed) { counters.add(.resets) }
    }
}
