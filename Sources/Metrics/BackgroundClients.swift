/// What the idle and slow clients of a run saw (`--idle`, `--slow`): they load the server beside the measured clients
/// and are reported apart, so that their own fate never blurs the measured figures.
public struct BackgroundClients: Codable, Sendable, Equatable {
    /// Idle connections whose handshake completed (at any time of the run), those the server closed while they were
    /// held in the measured window, those that could not be opened, and those still held when the run ended.
    public var idleOpened = 0
    public var idleDropped = 0
    public var idleFailed = 0
    public var idleHeldAtEnd = 0
    /// Slow clients: responses whole and valid in the window, failures by kind, and their request-to-response time.
    public var slowResponses = 0
    public var slowFailures = FailureCounts()
    public var slowLatency = LatencyHistogram()

    public init() {}

    public mutating func merge(_ other: BackgroundClients) {
        idleOpened += other.idleOpened
        idleDropped += other.idleDropped
        idleFailed += other.idleFailed
        idleHeldAtEnd += other.idleHeldAtEnd
        slowResponses += other.slowResponses
        slowFailures.merge(other.slowFailures)
        slowLatency.merge(other.slowLatency)
    }
}
