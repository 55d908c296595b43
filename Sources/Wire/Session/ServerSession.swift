/// The server's side of one connection, sans I/O: a model feeds it the bytes it reads and gathers from it the bytes it
/// owes, as pieces to hand to the socket (writev) or the channel; it says when to read and when to close. A model
/// therefore decides only how connections are scheduled; what is said on them is written once per protocol, in that
/// protocol's session type.
///
/// Output pieces point into the session's own scratch space (HTTP heads, greeting frames, error bodies, multiplex
/// frame heads, echoed bytes) or into the server's ``RandomPool`` (response bytes): nothing is allocated per request,
/// and a response of any size costs no copy. What a client may make a session hold is bounded: at most
/// ``ServerSessionLimits/pendingAnswers`` answers queued, or a count of bytes owed, before it stops taking input
/// until the client reads what it owes.
///
/// A model keeps one session per connection slot and calls ``reset()`` for each new connection. A session belongs to
/// the thread that serves its connection.
public protocol ServerSession: AnyObject {
    /// Called by a model when a new connection starts on this session: nothing owed, nothing read.
    func reset()

    /// Whether the model should read from the client now: not once the conversation is ending, and not without bound
    /// while output it owes is waiting, so that a client that does not read its answers is soon not read from either.
    /// A protocol without head-of-line waits (multiplex, h2) reads on while a bounded number of answers is owed.
    var wantsInput: Bool { get }

    /// Whether the model should close the connection now: everything owed has been handed over and the conversation
    /// is over, or the client broke the protocol and nothing more is sent.
    var isFinished: Bool { get }

    /// Whether every byte asked for so far has been handed over: the connection waits on the client.
    var owesNothing: Bool { get }

    /// A request has begun and is not whole. A model whose protocol ``ProtocolTraits/timesIdleClients`` closes a
    /// client that stays here longer than its read timeout of the request's first byte (a slowloris).
    var isMidRequest: Bool { get }

    /// Requests begun on this connection; a model times each one from when this count moved.
    var requestsBegun: Int { get }

    /// The connection closes after refusing a request, while the client may still be sending: the model closes with
    /// a ``LingeringClose``, so that a reset does not destroy the answer before the client reads it.
    var lingers: Bool { get }

    /// The session holds input it has taken and not acted on yet (a TLS layer's records, decrypted or not, behind
    /// answers still owed): once ``wantsInput`` turns true again, the model offers it an empty chunk before it reads
    /// the socket, as it offers bytes the session did not take.
    var hasHeldInput: Bool { get }

    /// Called by a model with every chunk it reads, of any size.
    func receive(_ bytes: UnsafeRawBufferPointer) -> SessionInput

    /// Called by a model once, when the server begins to stop, for each connection still open: the session says so
    /// to the client where its protocol can (h2: GOAWAY NO_ERROR), finishes what is in flight, and then is
    /// ``isFinished``. The model writes what it owes after the call and serves the connection on until the drain
    /// timeout. A protocol that has no way to say it does nothing.
    func beginStop()

    /// Called by a model when the client half-closes (read returned 0): what was asked is still answered, then the
    /// connection closes.
    func receiveEnd() -> SessionInput

    /// The bytes owed now, in order, as pieces to hand to the socket; empty when nothing is owed until more input
    /// comes. The pieces stay valid until the next ``advance(_:)`` or ``reset()``.
    func gather(using random: inout WyRand) -> UnsafeBufferPointer<UnsafeRawBufferPointer>

    /// Called by a model with how many of the gathered bytes the socket (or channel) took; returns how many responses
    /// were thereby handed over whole.
    func advance(_ byteCount: Int) -> Int
}

extension ServerSession {
    public var isMidRequest: Bool { false }
    public var requestsBegun: Int { 0 }
    public var lingers: Bool { false }
    public var hasHeldInput: Bool { false }
    public func beginStop() {}
}

/// What a chunk of input, or the client's end, did.
public struct SessionInput: Equatable, Sendable {
    /// Bytes taken; fewer than given when the session stopped (``ServerSession/wantsInput`` turned false): the model
    /// keeps the rest and offers it again once the output has drained.
    public var consumed = 0
    /// Requests refused: a size of 0 or over the maximum, or a half-close inside a header (the connection closes at
    /// once); in HTTP, those answered with a 4xx or 5xx status.
    public var protocolErrors = 0
    /// Responses completed with no byte left to send: an echo whose last byte was out before the client's end.
    public var completed = 0
    /// TLS handshakes finished, and how many of them resumed a session.
    public var tlsHandshakes = 0
    public var tlsResumed = 0
    /// Connections TLS ended: a handshake refused (an alert sent), a record that does not decrypt, a stream cut
    /// inside a record.
    public var tlsFailures = 0
    /// The work (`--work`) of the requests this input made whole, drawn by the session: the model does it before it
    /// gathers their answers.
    public var work = RequestWork.none

    public init(consumed: Int = 0, protocolErrors: Int = 0, completed: Int = 0) {
        self.consumed = consumed
        self.protocolErrors = protocolErrors
        self.completed = completed
    }

    /// Adds what another step of the same chunk did (all but ``consumed``).
    public mutating func add(_ other: SessionInput) {
        protocolErrors += other.protocolErrors
        completed += other.completed
        tlsHandshakes += other.tlsHandshakes
        tlsResumed += other.tlsResumed
        tlsFailures += other.tlsFailures
        work.add(other.work)
    }
}

/// What every server session of a server shares.
public struct ServerSessionSettings: Sendable {
    /// Largest n a request may ask for (request, multiplex: larger closes the connection; HTTP: answered 413).
    public var maxRequestBytes: UInt32
    /// Where response bytes come from; nil for a protocol whose answers are not cut from the pool
    /// (``ProtocolTraits/answersFromPool``).
    public var pool: RandomPool?
    /// What each request costs before its answer; drawn by the sessions whose protocol answers requests (the models
    /// draw it per connection for the others).
    public var work: WorkPlan
    /// HTTP/2: the streams a client may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS).
    public var maxStreams: UInt32

    public init(
        maxRequestBytes: UInt32 = WireDefaults.maxRequestBytes, pool: RandomPool?, work: WorkPlan = WorkPlan(),
        maxStreams: UInt32 = WireDefaults.maxStreams
    ) {
        self.maxRequestBytes = maxRequestBytes
        self.pool = pool
        self.work = work
        self.maxStreams = maxStreams
    }
}

/// Bounds every server session keeps, whatever its protocol.
public enum ServerSessionLimits {
    /// HTTP, multiplex or h2 answers queued at most before the session stops reading a client that pipelines without
    /// reading.
    public static let pendingAnswers = 32
    /// Output pieces gathered at most at once (a writev takes up to 1,024); a model sizes its iovec array by it.
    public static let pieces = 64
}
