import Atomics
import NIOCore
import NIOPosix
import Wire

/// What the connections of one event loop share: its random generator, its copy of the response pool, its counters
/// and the server's settings they need. Only that loop's thread touches it (it travels in a `NIOLoopBoundBox`), so
/// nothing is synchronised.
final class LoopResources {
    var random = WyRand()
    let counters: CounterCells
    private let sessions: SessionFactory
    /// Whether idle clients, slow requests and handshakes are timed (``SessionFactory/timesIdleClients``).
    var timesIdleClients: Bool { sessions.timesIdleClients }
    /// The response pool as a ByteBuffer; nil when the server speaks the greeting protocol.
    let pooledBytes: PooledBytes?
    /// The connections' deadlines (``ConnectionDeadlines``).
    let readTimeout: Duration
    /// Set by a stop just before it closes the connections left after the drain timeout, so that those are not
    /// counted as lost by the client. Read only when a connection closes early, never on the hot path.
    let isClosingAll: ManagedAtomic<Bool>
    /// Where the CPU and blocking parts of `--work` go instead of the loop's thread (the event-loop-pool model);
    /// nil: the loop does them itself.
    let offload: NIOThreadPool?
    /// Sessions of closed connections, reset and kept for the next ones: a new connection then allocates no session,
    /// as the other models reuse theirs. Bounded, so that a storm of connections does not keep its peak for ever.
    private var idleSessions: [any ServerSession] = []
    private static let idleSessionLimit = 1024
    /// The handlers of the loop's open connections, with their contexts, for a stop to tell.
    private var handlers: [ObjectIdentifier: (handler: SessionHandler, context: ChannelHandlerContext)] = [:]

    init(
        _ configuration: ServerConfiguration, sessions: SessionFactory, counters: CounterCells,
        isClosingAll: ManagedAtomic<Bool>, offload: NIOThreadPool?
    ) {
        self.counters = counters
        self.offload = offload
        self.sessions = sessions
        pooledBytes = sessions.pool.map(PooledBytes.init)
        readTimeout = configuration.readTimeout
        self.isClosingAll = isClosingAll
    }

    /// The work a new connection costs before its first byte (greeting, echo).
    func connectionWork() -> RequestWork { sessions.connectionWork(using: &random) }

    /// A session for a new connection: a kept one, or a new one.
    func takeSession() -> any ServerSession {
        if let session = idleSessions.popLast() {
            session.reset()
            return session
        }
        return sessions.make()
    }

    /// Called by a handler that is done with its session.
    func give(_ session: any ServerSession) {
        if idleSessions.count < Self.idleSessionLimit { idleSessions.append(session) }
    }

    /// Called by a handler when its channel becomes active, and when the handler leaves the pipeline.
    func opened(_ handler: SessionHandler, context: ChannelHandlerContext) {
        handlers[ObjectIdentifier(handler)] = (handler, context)
    }

    func removed(_ handler: SessionHandler) {
        handlers[ObjectIdentifier(handler)] = nil
    }

    /// The server is stopping: every open connection's handler is told (``SessionHandler/beginStop(context:)``).
    func beginStop() {
        for (handler, context) in handlers.values { handler.beginStop(context: context) }
    }

    /// Called by a handler whose channel closed: counts a reset unless the conversation had ended or a stop cut it.
    func connectionClosed(conversationEnded: Bool) {
        counters.add(.closed)
        if !conversationEnded && !isClosingAll.load(ordering: .relaxed) { counters.add(.resets) }
    }
}

/// A ``RandomPool``'s bytes in one ByteBuffer, from which every large response piece is a `getSlice`: a slice
/// shares the buffer's storage, so a response of any size costs no copy and no allocation of bytes.
///
/// Each event loop holds its own copy (2 MiB), so the reference counting those slices do stays on one core.
struct PooledBytes {
    let pool: RandomPool
    private let buffer: ByteBuffer

    init(pool: RandomPool) {
        self.pool = pool
        buffer = ByteBuffer(bytes: pool.bytes)
    }

    /// The same bytes as `piece` from this loop's copy, when `piece` lies in the pool; nil otherwise (the piece is
    /// a session's own, such as an HTTP head).
    func slice(of piece: UnsafeRawBufferPointer) -> ByteBuffer? {
        guard let base = piece.baseAddress, let start = pool.bytes.baseAddress,
            base >= start && base + piece.count <= start + pool.bytes.count
        else { return nil }
        return buffer.getSlice(at: buffer.readerIndex + (base - start), length: piece.count)
    }
}
