/// What a worker counted: connections through their stages, requests, bytes and failures by kind.
/// Plain integers, one set per worker, summed at the end.
public struct Counters: Codable, Sendable, Equatable {
    /// connect() calls made (including those that failed at once).
    public var connectionsAttempted = 0
    /// Connections whose TCP handshake completed.
    public var connectionsEstablished = 0
    /// Connections that got every response and a clean end of stream.
    public var connectionsCompleted = 0
    /// Responses received whole and valid (a greeting frame counts as one).
    public var requests = 0
    public var bytesSent = 0
    public var bytesReceived = 0
    public var failures = FailureCounts()
    /// Connections still open when the run ended, closed by the driver without a verdict.
    public var unfinishedAtEnd = 0

    public init() {}

    public mutating func merge(_ other: Counters) {
        connectionsAttempted += other.connectionsAttempted
        connectionsEstablished += other.connectionsEstablished
        connectionsCompleted += other.connectionsCompleted
        requests += other.requests
        bytesSent += other.bytesSent
        bytesReceived += other.bytesReceived
        failures.merge(other.failures)
        unfinishedAtEnd += other.unfinishedAtEnd
    }
}
