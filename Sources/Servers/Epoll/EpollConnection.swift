import Wire

/// One connection of an ``EpollLoop``: its session and what the loop needs to know about it between events. Kept
/// and reused for later connections, so that a new connection allocates nothing once the loop has warmed up.
final class EpollConnection {
    let session: any ServerSession
    /// The events epoll watches the connection for now (0: not registered yet).
    var interest: UInt32 = 0
    /// A send found the socket's buffer full: nothing is written until it says it is writable.
    var blockedOnWrite = false
    /// After a refusal: this side is shut and the client's rest is dropped (``ServerSession/lingers``).
    var lingering: LingeringClose?
    /// When a deadline of the connection passes (only where the protocol ``ProtocolTraits/timesIdleClients``).
    var deadlines: ConnectionDeadlines
    /// Which connection this state serves now, unique in its loop: a timer armed for an earlier one is stale.
    var epoch: UInt32 = 0
    /// The work whose wait on the backend is under way (`--work wait=`): nothing is read or written until its timer
    /// fires, as a handler waiting on a backend would hold its answer.
    var waiting: RequestWork?
    /// Bytes read that the session did not take yet (it holds as many answers as it may), offered again first.
    private var unread: [UInt8] = []
    /// The client half-closed while bytes were held: the session hears of it once they are taken.
    private var endPending = false

    init(_ session: any ServerSession, timeout: Duration) {
        self.session = session
        deadlines = ConnectionDeadlines(timeout: timeout)
    }

    /// A new connection on this state.
    func start(now: UInt64, epoch: UInt32) {
        self.epoch = epoch
        waiting = nil
        session.reset()
        interest = 0
        blockedOnWrite = false
        lingering = nil
        deadlines.start(now: now)
        unread.removeAll(keepingCapacity: true)
        endPending = false
    }

    /// Input is held, here or in the session: the socket is not read until it is taken.
    var hasUnread: Bool { !unread.isEmpty || session.hasHeldInput }

    /// Gives `bytes` to the session and keeps what it does not take; returns what the session made of them.
    func feed(_ bytes: UnsafeRawBufferPointer, now: UInt64) -> SessionInput {
        let received = session.receive(bytes)
        if received.consumed < bytes.count { unread += bytes[received.consumed...] }
        deadlines.track(session, now: now)
        return received
    }

    /// Offers the held bytes again (the session wants input once more), and the client's end once they are all
    /// taken; nil when nothing could be taken.
    func feedUnread(now: UInt64) -> SessionInput? {
        guard hasUnread else { return nil }
        // Bytes of the session's own held input (TLS records) are offered with an empty chunk; after it the session
        // either stops again or holds nothing, so this ends.
        var received = unread.withUnsafeBytes { session.receive($0) }
        guard received.consumed > 0 || unread.isEmpty else { return nil }
        unread.removeFirst(received.consumed)
        deadlines.track(session, now: now)
        if unread.isEmpty && endPending {
            endPending = false
            let ending = session.receiveEnd()
            received.add(ending)
        }
        return received
    }

    /// The client half-closed; returns what that meant (a request cut short, an echo whole).
    func end() -> SessionInput {
        guard unread.isEmpty else {
            endPending = true
            return SessionInput()
        }
        return session.receiveEnd()
    }
}
