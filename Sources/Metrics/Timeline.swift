/// Per second of the measured window: requests, failures and the latency histogram behind that second's p99.
///
/// Each second keeps a 2-significant-digit histogram (about 25 KiB) rather than a p99 figure, because p99s of
/// workers cannot be merged but histograms can.
public struct Timeline: Codable, Sendable, Equatable {
    /// One second of the run.
    public struct Second: Codable, Sendable, Equatable {
        public var requests = 0
        public var failures = 0
        public var latency = LatencyHistogram(significantDigits: 2)

        public init() {}

        public var p99Micros: UInt64 { latency.micros(atPercentile: 99) }

        public mutating func merge(_ other: Second) {
            requests += other.requests
            failures += other.failures
            latency.merge(other.latency)
        }
    }

    /// Second 0 starts when the warmup ends.
    public private(set) var seconds: [Second] = []

    public init() {}

    /// Grows the timeline to cover `second`; appends once per second of run, not per event.
    public mutating func ensure(_ second: Int) {
        while seconds.count <= second { seconds.append(Second()) }
    }

    public mutating func recordRequest(second: Int, latencyMicros: UInt64) {
        ensure(second)
        seconds[second].requests += 1
        seconds[second].latency.record(micros: latencyMicros)
    }

    public mutating func recordFailure(second: Int) {
        ensure(second)
        seconds[second].failures += 1
    }

    public mutating func merge(_ other: Timeline) {
        ensure(other.seconds.count - 1)
        for (index, second) in other.seconds.enumerated() { seconds[index].merge(second) }
    }
}
