import SystemCalls
import Wire

/// The connections of one event loop of the epoll or the io_uring model, by descriptor, and what both loops do with
/// them alike: states kept for reuse, the timers of waits on the backend (`--work wait=`), and the sweep of deadlines.
/// Everything here belongs to the loop's thread.
final class LoopConnections<Connection: LoopConnection> {
    private let sessions: SessionFactory
    private let counters: CounterCells
    private let readTimeout: Duration
    private let unsentLimit: Int?
    /// What responses are cut with and connection work drawn with.
    var random = WyRand()
    /// The state of each open connection, by descriptor; closed ones wait in `spare` for reuse.
    private var connections: [Connection?] = []
    private var spare: [Connection] = []
    private(set) var open = 0
    /// The ends of the waits on the simulated backend, by descriptor and epoch.
    private var timers = TimerHeap(capacity: 1024)
    private var lastEpoch: UInt32 = 0

    init(_ configuration: ServerConfiguration, sessions: SessionFactory, counters: CounterCells) {
        self.sessions = sessions
        self.counters = counters
        readTimeout = configuration.readTimeout
        unsentLimit = configuration.wireProtocol.traits.unsentLimit
    }

    subscript(fd: Int) -> Connection? { fd < connections.count ? connections[fd] : nil }

    /// Descriptors of the open connections.
    var descriptors: [Int] { connections.indices.filter { connections[$0] != nil } }

    /// A new connection on `fd`: a kept state (or a new one) started for it, its socket set up, and the work its
    /// exchange costs begun.
    func begin(_ fd: Int32, now: UInt64) -> Connection {
        let connection = spare.popLast() ?? Connection(sessions.make(), timeout: readTimeout)
        lastEpoch &+= 1
        connection.start(now: now, epoch: lastEpoch)
        if Int(fd) >= connections.count { connections += Array(repeating: nil, count: Int(fd) + 1 - connections.count) }
        connections[Int(fd)] = connection
        open += 1
        if sessions.clientSends { SocketCalls.setNoDelay(fd) }
        if let unsentLimit { SocketCalls.setUnsentLimit(fd, bytes: unsentLimit) }
        work(sessions.connectionWork(using: &random), fd, connection)
        return connection
    }

    /// Forgets `fd`'s connection, keeping its state for a later one; nil when it had none.
    func remove(_ fd: Int) -> Connection? {
        guard let connection = self[fd] else { return nil }
        connections[fd] = nil
        open -= 1
        spare.append(connection)
        return connection
    }

    /// Does the work input brought (`--work`): CPU and blocking sleeps here, on the loop's thread, as any handler
    /// would; a wait on the backend arms a timer, and the connection is set aside until it fires while the loop
    /// serves the others.
    func work(_ work: RequestWork, _ fd: Int32, _ connection: Connection) {
        guard !work.isNone else { return }
        WorkPerformer.perform(work, waitHere: false, counters: counters)
        guard work.waitNanos > 0 else { return WorkPerformer.waited(work, counters: counters) }
        connection.waiting = work
        let due = MonotonicClock.nanos() + work.waitNanos
        timers.push(TimerHeap.Entry(dueNanos: due, slot: fd, epoch: connection.epoch))
    }

    /// When the next wait ends.
    var nextDue: UInt64? { timers.nextDue }

    /// The next connection whose wait ended by `now`, its work counted done; nil when no other did. Timers of
    /// connections closed since are skipped.
    func nextWaited(now: UInt64) -> (fd: Int32, connection: Connection)? {
        while let entry = timers.popDue(now: now) {
            guard let connection = self[Int(entry.slot)], connection.epoch == entry.epoch,
                let work = connection.waiting
            else { continue }
            connection.waiting = nil
            // The wait was the server's, not the client's: its deadlines run from now, as a thread model's do once
            // it wakes.
            connection.deadlines.moved(now: now)
            WorkPerformer.waited(work, counters: counters)
            return (entry.slot, connection)
        }
        return nil
    }

    /// The server is stopping: every open connection's session is told (``ServerSession/beginStop()``), and `settle`
    /// writes what that made it owe, or closes it if that finished it. A refused client, lingering, hears nothing more.
    func beginStop(settle: (_ fd: Int32, _ connection: Connection) -> Void) {
        for fd in descriptors {
            guard let connection = self[fd], connection.lingering == nil else { continue }
            connection.session.beginStop()
            settle(Int32(fd), connection)
        }
    }

    /// Closes (with `close`) the connections whose deadline passed (``ConnectionDeadlines``, where the protocol
    /// times idle clients), and refused clients past their time of lingering.
    func sweep(now: UInt64, close: (_ fd: Int) -> Void) {
        let timed = sessions.timesIdleClients
        for fd in connections.indices {
            guard let connection = connections[fd] else { continue }
            if let lingering = connection.lingering {
                if lingering.isOver(now: now) { close(fd) }
            } else if timed, connection.waiting == nil,
                let expired = connection.deadlines.expired(now: now, owesNothing: connection.session.owesNothing)
            {
                counters.add(expired)
                close(fd)
            }
        }
    }
}
