/// `--reconnect backoff`: how often clients waited out a backoff, and how long after the server came back every client
/// was at work again. Times are on the system's monotonic clock, which every worker thread and process shares.
public struct ReconnectFigures: Codable, Sendable, Equatable {
    /// Backoff waits begun in the measured window (each after a refused or reset connection).
    public var reconnects = 0
    /// The last outage: when a handshake first completed again while clients were waiting, and when the last waiting
    /// client was at work again; nil while not (yet) seen.
    public var backNanos: UInt64?
    public var fullNanos: UInt64?
    /// Clients still waiting out a backoff when the run ended: the load never came back in full.
    public var waitingAtEnd = 0

    public init() {}

    /// From the server's return to full load, in microseconds; nil without an outage or while clients still wait.
    public var recoveryMicros: UInt64? {
        guard waitingAtEnd == 0, let backNanos, let fullNanos, fullNanos >= backNanos else { return nil }
        return (fullNanos - backNanos) / 1_000
    }

    /// The earliest return and the latest full load over the workers: the run's recovery.
    public mutating func merge(_ other: ReconnectFigures) {
        reconnects += other.reconnects
        waitingAtEnd += other.waitingAtEnd
        if let theirs = other.backNanos { backNanos = min(backNanos ?? theirs, theirs) }
        if let theirs = other.fullNanos { fullNanos = max(fullNanos ?? theirs, theirs) }
    }
}
