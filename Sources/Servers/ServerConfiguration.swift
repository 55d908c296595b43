import TLS
import Wire

/// Every setting of a server model; each model reads the ones that concern it and ignores the rest.
public struct ServerConfiguration: Sendable, Equatable {
    /// What is said on each connection.
    public var wireProtocol: WireProtocol
    /// The numeric IPv4 or IPv6 address to listen on.
    public var host: String
    /// The port to listen on; 0 lets the kernel choose a free one (``Server/start()`` returns it).
    public var port: Int
    /// Length of the kernel's queue of connections not yet accepted, per listening socket (the kernel caps it at
    /// net.core.somaxconn).
    public var backlog: Int
    /// Threads that serve connections; nil means the model's ``ServerModel/defaultThreads``.
    public var threads: Int?
    /// Largest n a request may ask for (request protocol: larger closes the connection, a protocol error; HTTP: 413),
    /// and the largest HTTP request body.
    public var maxRequestBytes: UInt32
    /// How long a stalled client may hold a connection before it is closed and counted: a blocking read or write
    /// (blocking and thread-pool models), and in HTTP on every model an idle client, a request not whole within it of
    /// its first byte, and output that makes no progress.
    public var readTimeout: Duration
    /// Connections the thread-pool model's acceptor may queue for busy workers.
    public var queueCapacity: Int
    /// What the thread-pool model's acceptor does with a connection when that queue is full.
    public var queueFullPolicy: QueueFullPolicy
    /// How long ``Server/stop()`` lets connections in progress finish before it closes them.
    public var drainTimeout: Duration
    /// Threads the thread-per-connection model runs at most, one per connection; reaching it is counted, and the
    /// acceptor then waits for one to end.
    public var maxThreads: Int
    /// A listening socket this process was given (a prefork worker's, shared with the other workers), accepted from
    /// instead of opening one.
    public var listeningDescriptor: Int32?
    /// The `bench` executable a prefork server starts its workers from; nil for this process's own (or, in a test
    /// runner, the bench beside it).
    public var executable: String?
    /// Every connection speaks TLS first (`--tls`); nil for plaintext.
    public var tls: TLSSettings?
    /// What each request (greeting, echo: each connection) costs before its answer (`--work`); none by default.
    public var work: WorkPlan
    /// h2: the streams a client may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS, `--max-streams`).
    public var maxStreams: UInt32
    /// Bytes allocated, written and never freed per connection: a leak on purpose, which the soak's test must catch
    /// (`bench serve --leak-per-connection`, hidden); 0, as everywhere else.
    public var leakBytesPerConnection = 0

    public init(
        protocol wireProtocol: WireProtocol,
        host: String = WireDefaults.host,
        port: Int = WireDefaults.port,
        backlog: Int = Self.defaultBacklog,
        threads: Int? = nil,
        maxRequestBytes: UInt32 = WireDefaults.maxRequestBytes,
        readTimeout: Duration = .seconds(5),
        queueCapacity: Int = Self.defaultQueueCapacity,
        queueFullPolicy: QueueFullPolicy = .wait,
        drainTimeout: Duration = .seconds(2),
        maxThreads: Int = Self.defaultMaxThreads,
        listeningDescriptor: Int32? = nil,
        executable: String? = nil,
        tls: TLSSettings? = nil,
        work: WorkPlan = WorkPlan(),
        maxStreams: UInt32 = WireDefaults.maxStreams
    ) {
        self.wireProtocol = wireProtocol
        self.host = host
        self.port = port
        self.backlog = backlog
        self.threads = threads
        self.maxRequestBytes = maxRequestBytes
        self.readTimeout = readTimeout
        self.queueCapacity = queueCapacity
        self.queueFullPolicy = queueFullPolicy
        self.drainTimeout = drainTimeout
        self.maxThreads = maxThreads
        self.listeningDescriptor = listeningDescriptor
        self.executable = executable
        self.tls = tls
        self.work = work
        self.maxStreams = maxStreams
    }

    /// 20,000: two clients of the largest run here, so that what 10,000 threads cost shows, under the descriptor
    /// limit of 20,000 that one connection per thread meets first.
    public static let defaultMaxThreads = 20_000

    /// 4096, as the C reference server: thousands of clients connecting at once should wait in the kernel's queue,
    /// not have their SYNs dropped (which costs them a one-second retransmission); the same for every model.
    public static let defaultBacklog = 4096

    /// 12,288: a closed-loop load has all its clients waiting at once when the server is the slower side, and a
    /// queue much smaller than the clients filled in ordinary runs of 10,000 clients; the acceptor then waited for
    /// room instead of taking from its listeners (``ListenerSet``). A slot is 4 bytes.
    public static let defaultQueueCapacity = 12_288

    /// What this server's sessions are made from; throws when TLS cannot be set up (a certificate that cannot be
    /// read, a cipher OpenSSL does not know).
    func makeSessions() throws -> SessionFactory {
        try SessionFactory(self)
    }
}

/// What the thread-pool model does with a new connection when every worker is busy and its queue is full.
/// Either way the event is counted as ``ServerCounters/queueFull``.
public enum QueueFullPolicy: String, CaseIterable, Sendable {
    /// The acceptor waits for room, so further clients wait in the kernel's backlog (and time out there).
    case wait
    /// The new connection is closed at once, so its client sees an immediate close instead of a wait.
    case reject
}
