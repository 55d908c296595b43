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
    /// Connections lost before their conversation ended: the client reset them (ECONNRESET, EPIPE) or vanished,
    /// or another socket error. Connections a stop cuts after its drain timeout are not counted.
    public var resets = 0

    public init() {}

    /// One line of `key=value` pairs, as `bench serve` prints on stderr when it stops.
    public var keyValueLine: String {
        [
            ("connections", connections), ("requests", requests), ("bytes", bytesSent),
            ("protocol_errors", protocolErrors), ("accept_errors", acceptErrors), ("read_timeouts", readTimeouts),
            ("write_timeouts", writeTimeouts), ("header_timeouts", headerTimeouts), ("queue_full", queueFull),
            ("resets", resets),
        ].map { "\($0.0)=\($0.1)" }.joined(separator: " ")
    }

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
        resets = total(.resets)
    }
}
