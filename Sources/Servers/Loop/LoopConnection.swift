import Wire

/// One connection of an event loop of the epoll or the io_uring model: its session and what either loop needs to
/// know about it between events (each model's subclass adds its own). Kept and reused for later connections, so
/// that a new connection allocates nothing once the loop has warmed up.
class LoopConnection {
    final let session: any ServerSession
    /// After a refusal: this side is shut and the client's rest is dropped (``ServerSession/lingers``).
    final var lingering: LingeringClose?
    /// When a deadline of the connection passes (only where the protocol ``ProtocolTraits/timesIdleClients``).
    final var deadlines: ConnectionDeadlines
    /// Which connection this state serves now, unique in its loop: a timer armed for an earlier one is stale.
    final var epoch: UInt32 = 0
    /// The work whose wait on the backend is under way (`--work wait=`): nothing is read or written until its timer
    /// fires, as a handler waiting on a backend would hold its answer.
    final var waiting: RequestWork?
    /// Bytes read that the session did not take yet (it holds as many answers as it may), offered again first.
    private var unread: [UInt8] = []
    /// The client half-closed while bytes were held: the session hears of it once they are taken.
    private var endPending = false

    required init(_ session: any ServerSession, timeout: Duration) {
        self.session = session
        deadlines = ConnectionDeadlines(timeout: timeout)
    }

    /// A new connection on this state; a subclass resets its own state too.
    func start(now: UInt64, epoch: UInt32) {
        self.epoch = epoch
        waiting = nil
        session.reset()
        lingering = nil
        deadlines.start(now: now)
        unread.removeAll(keepingCapacity: true)
        endPending = false
    }

    /// Input is held, here or in the session: the socket is not read until it is taken.
    final var hasUnread: Bool { !unread.isEmpty || session.hasHeldInput }

    /// Gives `bytes` to the session and keeps what it does not take; returns what the session made of them.
    final func feed(_ bytes: UnsafeRawBufferPointer, now: UInt64) -> SessionInput {
        let owed = !session.owesNothing
        let received = session.receive(bytes)
        if received.consumed < bytes.count { unread += bytes[received.consumed...] }
        deadlines.track(session, owedBefore: owed, now: now)
        return received
    }

    /// Offers the held bytes again (the session wants input once more), and the client's end once they are all
    /// taken, the session's own included; nil when nothing could be taken.
    final func feedUnread(now: UInt64) -> SessionInput? {
        guard hasUnread || endPending else { return nil }
        var received = SessionInput()
        if hasUnread {
            // Bytes of the session's own held input (TLS records) are offered with an empty chunk; after it the
            // session either stops again or holds nothing, so this ends.
            let owed = !session.owesNothing
            received = unread.withUnsafeBytes { session.receive($0) }
            guard received.consumed > 0 || unread.isEmpty else { return nil }
            unread.removeFirst(received.consumed)
            deadlines.track(session, owedBefore: owed, now: now)
        }
        if !hasUnread && endPending {
            endPending = false
            let ending = session.receiveEnd()
            received.add(ending)
        }
        return received
    }

    /// Keeps `bytes` that came while the session could not take them (the io_uring model's receives go on whether
    /// or not it wants input): they are offered after those held before, in order.
    final func hold(_ bytes: UnsafeRawBufferPointer) {
        unread += bytes
    }

    /// Bytes read and not yet taken by the session.
    final var unreadCount: Int { unread.count }

    /// The client half-closed; returns what that meant (a request cut short, an echo whole). While input is held,
    /// here or in the session (TLS records it has decrypted and not handed on), the end waits for it: told at once,
    /// TLS would take the unread records for a cut one and drop the answers they ask for.
    final func end() -> SessionInput {
        guard !hasUnread else {
            endPending = true
            return SessionInput()
        }
        return session.receiveEnd()
    }
}
