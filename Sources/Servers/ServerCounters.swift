/// What a server has done, as a value: a snapshot summed over its threads' counters at one moment.
public struct ServerCounters: Sendable, Equatable {
    /// Connections `accept` returned (including ones then refused because the thread-pool queue was full).
    public var connections = 0
    /// Requests answered: greeting frames, or request headers whose bytes were handed to the socket.
    public var requests = 0
    /// Response bytes handed to the socket (by the event loop: to the channel).
    public var bytesSent = 0
    /// Requests refused: n = 0, n > max or a half-close inside a header (request protocol, closing the connection);
    /// HTTP requests answered with a 4xx or 5xx status.
    public var protocolErrors = 0
    /// Failed `accept` calls (out of descriptors and the like); the server backed off and went on.
    public var acceptErrors = 0
    /// Connections closed because a read waited longer than the read timeout (blocking and thread-pool).
    public var readTimeouts = 0
    /// Connections closed because a client stopped reading and a write waited longer than the read timeout.
    public var writeTimeouts = 0
    /// HTTP connections closed because a request head was not whole within the read timeout of its first byte
    /// (a slowloris), counted apart from idle ones.
    public var headerTimeouts = 0
    /// Connections that found the thread-pool queue full (then waited or were refused, per the policy).
    public var queueFull = 0
    /// Connections that found the thread-per-connection model at its --max-threads (the acceptor then waited).
    public var threadLimit = 0
    /// Connections lost before their conversation ended: the client reset them (ECONNRESET, EPIPE) or vanished,
    /// or another socket error. Connections a stop cuts after its drain timeout are not counted.
    public var resets = 0
    /// TLS handshakes finished (``--tls``), those of them that resumed a session, and connections TLS ended: a
    /// handshake refused with an alert, a record that does not decrypt, a stream cut inside a record.
    public var tlsHandshakes = 0
    public var tlsResumed = 0
    public var tlsFailures = 0
    /// Requests (greeting, echo: connections) whose `--work` was done, and what it took: CPU burned (measured on the
    /// serving thread's own clock), time waited on the simulated backend, time the serving thread was blocked.
    public var workDone = 0
    public var workCPUMicros = 0
    public var workWaitMicros = 0
    public var workBlockMicros = 0

    public init() {}

    /// One line of `key=value` pairs, as `bench serve` prints on stderr when it stops.
    public var keyValueLine: String {
        Self.fields.map { "\($0.0)=\(self[keyPath: $0.1])" }.joined(separator: " ")
    }

    /// The counters of a `counters key=value ...` line, as a prefork worker prints them; nil for another line.
    public init?(counterLine line: String) {
        guard line.hasPrefix("counters ") else { return nil }
        self.init(keyValueLine: String(line.dropFirst("counters ".count)))
    }

    /// The counters of a ``keyValueLine`` (a server's last line on stderr: ours, or the C reference server's, which
    /// counts fewer things); nil for a line without connections and requests. A counter the line lacks is 0.
    public init?(keyValueLine line: String) {
        var values: [String: Int] = [:]
        for field in line.split(separator: " ") {
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let value = Int(parts[1]) { values[String(parts[0])] = value }
        }
        guard values["connections"] != nil && values["requests"] != nil else { return nil }
        for (name, path) in Self.fields { self[keyPath: path] = values[name] ?? 0 }
    }

    /// Adds `other`'s counts to these (the workers of a prefork server).
    public mutating func add(_ other: ServerCounters) {
        for (_, path) in Self.fields { self[keyPath: path] += other[keyPath: path] }
    }

    /// Every counter by its name in the `key=value` line, in the line's order.
    private static let fields: [(String, WritableKeyPath<ServerCounters, Int> & Sendable)] = [
        ("connections", \.connections), ("requests", \.requests), ("bytes", \.bytesSent),
        ("protocol_errors", \.protocolErrors), ("accept_errors", \.acceptErrors), ("read_timeouts", \.readTimeouts),
        ("write_timeouts", \.writeTimeouts), ("header_timeouts", \.headerTimeouts), ("queue_full", \.queueFull),
        ("thread_limit", \.threadLimit), ("resets", \.resets), ("tls_handshakes", \.tlsHandshakes),
        ("tls_resumed", \.tlsResumed), ("tls_failures", \.tlsFailures), ("work_done", \.workDone),
        ("work_cpu_us", \.workCPUMicros), ("work_wait_us", \.workWaitMicros), ("work_block_us", \.workBlockMicros),
    ]

    /// The sum of the live counters of every thread (or event loop) of a server.
    init(summing shards: [CounterCells]) {
        func total(_ counter: Counter) -> Int { shards.reduce(0) { $0 + $1.value(counter) } }
        connections = total(.connections)
        requests = total(.requests)
        bytesSent = total(.bytesSent)
        protocolErrors = total(.protocolErrors)
        acceptErrors = total(.acceptErrors)
        readTimeouts = total(.readTimeouts)
        writeTimeouts = total(.writeTimeouts)
        headerTimeouts = total(.headerTimeouts)
        queueFull = total(.queueFull)
        threadLimit = total(.threadLimit)
        resets = total(.resets)
        tlsHandshakes = total(.tlsHandshakes)
        tlsResumed = total(.tlsResumed)
        tlsFailures = total(.tlsFailures)
        workDone = total(.workDone)
        workCPUMicros = total(.workCPUMicros)
        workWaitMicros = total(.workWaitMicros)
        workBlockMicros = total(.workBlockMicros)
    }
}
