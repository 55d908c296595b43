import Histogram

/// Latencies in microseconds, in an HdrHistogram: one per worker, recorded without locks, merged exactly.
///
/// Values above the trackable range are clamped to it rather than dropped, so every recorded event is counted;
/// the range (1 µs to 1 hour) is far beyond any timeout the driver allows.
public struct LatencyHistogram: Codable, Sendable, Equatable {
    /// The largest latency kept as itself; larger values are recorded as this.
    public static let highestTrackableMicros: UInt64 = 3_600_000_000

    /// One line of the percentile spectrum, for the classic HdrHistogram plot.
    public struct SpectrumPoint: Codable, Sendable, Equatable {
        /// Percentile, 0-100.
        public var percentile: Double
        public var latencyMicros: UInt64
        /// Values recorded at or below `latencyMicros`.
        public var totalCount: UInt64
    }

    /// The percentiles a summary line shows.
    public struct Summary: Codable, Sendable, Equatable {
        public var p50Micros: UInt64
        public var p90Micros: UInt64
        public var p99Micros: UInt64
        public var p999Micros: UInt64
        public var maxMicros: UInt64
        public var meanMicros: Double
        public var count: UInt64
    }

    private var histogram: Histogram<UInt64>

    /// - Parameter significantDigits: 3 for the run's histograms; the timeline uses 2 to stay small per second.
    public init(significantDigits: Int = 3) {
        precondition((1...5).contains(significantDigits), "HdrHistogram keeps 1 to 5 significant digits")
        histogram = Histogram(
            lowestDiscernibleValue: 1, highestTrackableValue: Self.highestTrackableMicros,
            numberOfSignificantValueDigits: SignificantDigits(rawValue: Int8(significantDigits))!)
    }

    /// A histogram of one interval of an interval log: the run's layout (3 digits from 1 µs, so intervals add up to
    /// the run's histogram exactly), its counts grown only as far as the interval's largest value (a second of
    /// latencies under 100 ms takes 64 KiB, not the 184 KiB that reach an hour).
    public static func interval() -> LatencyHistogram {
        LatencyHistogram(histogram: Histogram(numberOfSignificantValueDigits: .three))
    }

    private init(histogram: Histogram<UInt64>) {
        self.histogram = histogram
    }

    /// Records one latency. Called on the hot path: no allocation, no lock.
    public mutating func record(micros: UInt64) {
        histogram.record(min(micros, Self.highestTrackableMicros))
    }

    /// Records `count` latencies of `micros` at once (a decoded histogram's bucket).
    public mutating func record(micros: UInt64, count: UInt64) {
        histogram.record(min(micros, Self.highestTrackableMicros), count: count)
    }

    public var significantDigits: Int { Int(histogram.numberOfSignificantValueDigits.rawValue) }

    /// Every bucket holding a count, lowest first: a value of the bucket and its count.
    public var recordedBuckets: [(micros: UInt64, count: UInt64)] {
        histogram.recordedValues().map { ($0.value, $0.count) }
    }

    /// Adds every count of `other`; merging per-worker histograms this way loses nothing.
    public mutating func merge(_ other: LatencyHistogram) {
        histogram.add(other.histogram)
    }

    public var count: UInt64 { histogram.totalCount }
    public var maxMicros: UInt64 { histogram.totalCount == 0 ? 0 : histogram.max }

    /// The standard deviation over the mean, 0 when nothing was recorded: how much the values vary for their size
    /// (exponential ones 1, equal ones 0).
    public var coefficientOfVariation: Double {
        histogram.totalCount == 0 || histogram.mean == 0 ? 0 : histogram.stdDeviation / histogram.mean
    }

    /// The latency at `percentile` (0-100), 0 when nothing was recorded.
    public func micros(atPercentile percentile: Double) -> UInt64 {
        histogram.totalCount == 0 ? 0 : histogram.valueAtPercentile(percentile)
    }

    public var summary: Summary {
        Summary(
            p50Micros: micros(atPercentile: 50), p90Micros: micros(atPercentile: 90),
            p99Micros: micros(atPercentile: 99), p999Micros: micros(atPercentile: 99.9), maxMicros: maxMicros,
            meanMicros: histogram.totalCount == 0 ? 0 : histogram.mean, count: histogram.totalCount)
    }

    /// The full percentile spectrum (HdrHistogram's percentile iteration, 5 steps per halving distance).
    public var spectrum: [SpectrumPoint] {
        guard histogram.totalCount > 0 else { return [] }
        return histogram.percentiles(ticksPerHalfDistance: 5).map {
            SpectrumPoint(
                percentile: $0.percentileLevelIteratedTo, latencyMicros: $0.value,
                totalCount: $0.totalCountToThisValue)
        }
    }

    public static func == (lhs: LatencyHistogram, rhs: LatencyHistogram) -> Bool {
        lhs.histogram.totalCount == rhs.histogram.totalCount && lhs.spectrum == rhs.spectrum
    }
}
