import TLS
import Wire

/// One simulated client: the connection it holds now and where it stands. A worker keeps a fixed array of
/// these and reuses them, so a new connection costs no allocation (the session keeps its storage on reset).
struct ConnectionSlot {
    /// Measured clients are the run's figures; idle and slow ones load the server beside them, reported apart.
    enum Role: UInt8 {
        case measured, idle, slow
    }

    enum Phase: UInt8 {
        /// No connection: waiting for its start time, or at rest (count mode done, run ending).
        case idle
        /// connect() called, handshake not yet seen complete.
        case connecting
        /// TCP established, the TLS handshake under way (`--tls`).
        case securing
        /// Established: sending requests, reading responses, or reading to the end after the half-close.
        case open
    }

    let role: Role
    /// The client's kind in a mix (0 without one), with its requests per connection and think time.
    let profile: Int
    let requests: Int
    let thinkMicros: Int
    let jitterMicros: Int
    var fd: Int32 = -1
    var phase = Phase.idle
    /// Bumped whenever the connection closes, so timers pushed for the old connection are recognised as stale.
    var epoch: UInt32 = 0
    var timerPending = false
    let session: any ClientSession
    /// When connect() was called.
    var connectNanos: UInt64 = 0
    /// When the connection was meant to start (open loop greeting); equals `connectNanos` otherwise.
    var intendedNanos: UInt64 = 0
    /// Open loop: the intended time of this slot's next start (greeting) or next request (request protocol).
    var nextIntendedNanos: UInt64 = 0
    /// Closed loop: the end of the current think time.
    var nextSendNanos: UInt64 = 0
    /// When the wait for the server gives up; UInt64.max while nothing is awaited (thinking).
    var deadlineNanos = UInt64.max
    /// Requests written on this connection, responses whose first byte arrived, responses complete.
    var sent = 0
    var done = 0
    /// Request headers in this slot's region of the output buffer not yet accepted by send().
    var outStart = 0
    var outEnd = 0
    /// Every request of the connection is out: the request protocol half-closed, HTTP asked the server to close.
    var halfClosed = false
    /// A streamed exchange (echo): its bytes, and how many of them send() took.
    var exchangeSize = 0
    var exchangeSent = 0
    /// `--reconnect backoff`: refusals or resets in a row (kept across connections), and whether the client is
    /// waiting one out now.
    var backoffAttempts: UInt8 = 0
    var inBackoff = false
    /// `--tls`: the connection's TLS, from the TCP handshake's end; the client's last session, which its next
    /// connection offers under `--tls-resume`; when the TLS handshake began.
    var tls: TLSConnection?
    var tlsSession: TLSSession?
    var handshakeStartNanos: UInt64 = 0

    init(session: any ClientSession, role: Role = .measured, profile: Int = 0, settings: LoadSettings) {
        self.session = session
        self.role = role
        self.profile = profile
        let kind = settings.mix.isEmpty || role != .measured ? nil : settings.mix[profile]
        requests = kind?.requestsPerConnection ?? settings.requestsPerConnection
        thinkMicros = kind?.thinkMicros ?? settings.thinkMicros
        jitterMicros = kind?.jitterMicros ?? settings.jitterMicros
    }

    /// Fresh per-connection state for a connection just started on `fd`.
    mutating func begin(fd: Int32, now: UInt64, intended: UInt64, deadline: UInt64) {
        self.fd = fd
        phase = .connecting
        connectNanos = now
        intendedNanos = intended
        deadlineNanos = deadline
        session.reset()
        sent = 0
        done = 0
        outStart = 0
        outEnd = 0
        halfClosed = false
        exchangeSize = 0
        exchangeSent = 0
    }

    /// Bytes are waiting for the socket to take them.
    var hasOutput: Bool { outEnd > outStart || exchangeSent < exchangeSize || (tls?.owedCiphertext ?? 0) > 0 }
}
