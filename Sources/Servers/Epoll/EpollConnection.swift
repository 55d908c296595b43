import Wire

/// One connection of an ``EpollLoop``: its session and what the loop needs to know about it between events. Kept
/// and reused for later connections, so that a new connection allocates nothing once the loop has warmed up.
final class EpollConnection {
    let session: ServerSession
    /// The events epoll watches the connection for now (0: not registered yet).
    var interest: UInt32 = 0
    /// A send found the socket's buffer full: nothing is written until it says it is writable.
    var blockedOnWrite = false
    /// After a refusal: this side is shut and the client's rest is dropped (``ServerSession/lingers``).
    var isLingering = false
    /// When the client last sent anything, and when output last went out (nanoseconds, the monotonic clock).
    var lastActivity: UInt64 = 0
    var lastProgress: UInt64 = 0
    /// HTTP: when the request being received began.
    private(set) var requestStarted: UInt64?
    private var timedRequest = 0
    /// Bytes read that the session did not take yet (it holds as many answers as it may), offered again first.
    private var unread: [UInt8] = []
    /// The client half-closed while bytes were held: the session hears of it once they are taken.
    private var endPending = false

    init(_ session: ServerSession) {
        self.session = session
    }

    /// A new connection on this state.
    func start(now: UInt64) {
        session.reset()
        interest = 0
        blockedOnWrite = false
        isLingering = false
        lastActivity = now
        lastProgress = now
        requestStarted = nil
        timedRequest = 0
        unread.removeAll(keepingCapacity: true)
        endPending = false
    }

    var hasUnread: Bool { !unread.isEmpty }

    /// Gives `bytes` to the session and keeps what it does not take; returns what the session made of them.
    func feed(_ bytes: UnsafeRawBufferPointer, now: UInt64) -> ServerSession.Received {
        let received = session.receive(bytes)
        if received.consumed < bytes.count { unread += bytes[received.consumed...] }
        track(now: now)
        return received
    }

    /// Offers the held bytes again (the session wants input once more), and the client's end once they are all
    /// taken; nil when nothing could be taken.
    func feedUnread(now: UInt64) -> ServerSession.Received? {
        guard !unread.isEmpty else { return nil }
        var received = unread.withUnsafeBytes { session.receive($0) }
        guard received.consumed > 0 else { return nil }
        unread.removeFirst(received.consumed)
        track(now: now)
        if unread.isEmpty && endPending {
            endPending = false
            let ending = session.receiveEnd()
            received.protocolErrors += ending.protocolErrors
            received.completed += ending.completed
        }
        return received
    }

    /// The client half-closed; returns what that meant (a request cut short, an echo whole).
    func end() -> ServerSession.Received {
        guard unread.isEmpty else {
            endPending = true
            return ServerSession.Received()
        }
        return session.receiveEnd()
    }

    private func track(now: UInt64) {
        guard session.configuration.wireProtocol == .http else { return }
        if !session.isMidRequest {
            requestStarted = nil
        } else if session.requestsBegun != timedRequest {
            timedRequest = session.requestsBegun
            requestStarted = now
        }
    }
}
