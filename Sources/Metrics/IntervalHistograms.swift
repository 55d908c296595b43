/// `--hlog`: each second of the measured window, a histogram of each latency, for HdrHistogram's interval log.
///
/// The histograms keep the run's layout, so the seconds of a metric add up to the run's histogram of it exactly.
public struct IntervalHistograms: Codable, Sendable, Equatable {
    /// The metrics of a log, each a tag; the names are those of latency.csv.
    public enum Metric: String, CaseIterable, Codable, Sendable {
        case connect
        case firstByte = "first_byte"
        case total
        /// Open loop only: the responses timed from the moment the request was actually sent.
        case uncorrected
    }

    /// One second of the window: a histogram per metric, in ``Metric``'s order.
    public struct Second: Codable, Sendable, Equatable {
        public var latency = Metric.allCases.map { _ in LatencyHistogram.interval() }

        public subscript(metric: Metric) -> LatencyHistogram {
            latency[metric.index]
        }
    }

    /// Second 0 starts when the warmup ends.
    public private(set) var seconds: [Second] = []

    public init() {}

    public mutating func record(_ metric: Metric, second: Int, micros: UInt64) {
        while seconds.count <= second { seconds.append(Second()) }
        seconds[second].latency[metric.index].record(micros: micros)
    }

    public mutating func merge(_ other: IntervalHistograms) {
        while seconds.count < other.seconds.count { seconds.append(Second()) }
        for (second, theirs) in other.seconds.enumerated() {
            for index in theirs.latency.indices { seconds[second].latency[index].merge(theirs.latency[index]) }
        }
    }
}

extension IntervalHistograms.Metric {
    /// The metric's place in a second's histograms; the switch keeps the hot path free of a search.
    var index: Int {
        switch self {
        case .connect: 0
        case .firstByte: 1
        case .total: 2
        case .uncorrected: 3
        }
    }
}
