/// Whether one series of a soak (a process's resident memory, descriptors or threads) keeps growing: a straight
/// line fitted by least squares to the second half of the run, whose rise over that half must stay within a bound.
///
/// The second half, because the first is the warm-up of everything a process sizes once and keeps (the allocator's
/// arenas and caches, the pools, the kernel's buffers); a leak grows through both halves, a warm-up only through the
/// first. The bound is the largest of three or four (``bound(metric:mean:standardError:background:)``).
public struct GrowthVerdict: Sendable, Equatable {
    public enum Metric: String, Sendable, CaseIterable {
        case rss = "rss_bytes"
        case fds
        case threads

        /// The growth no leak is called below: 2 MiB of memory, 8 descriptors, 4 threads. Memory: the allocator's
        /// arenas and the kernel's socket buffers move the resident set by a few hundred KiB at a time, and 2 MiB is
        /// still a few bytes per connection of any soak worth the name (docs/soak.md); counts: concurrency at 70% of
        /// capacity moves a few descriptors and connection threads, and a leak of one per some thousand connections
        /// passes these by the thousand in minutes.
        public var floor: Double {
            switch self {
            case .rss: 2 * 1024 * 1024
            case .fds: 8
            case .threads: 4
            }
        }
    }

    /// A share of the series' mean it may grow by: a server of 60 MiB (prefork's processes) moves more than one of 20.
    public static let relativeBound = 0.05
    /// How many standard errors of the fitted rise it may grow by: a noisy series (threads that come and go with the
    /// connections) fits a slope by chance, within about two of them.
    public static let standardErrors = 3.0

    public var metric: Metric
    /// Samples in the second half.
    public var samples: Int
    public var mean: Double
    /// The fitted line's rise over the second half; nil with fewer than 3 samples in it.
    public var growth: Double?
    public var bound: Double

    /// The verdict on `series` (seconds from the start, value), whose second half is its samples from half its last
    /// sample's time on. `background`: the soak's idle and slow clients beside the measured ones.
    public init(metric: Metric, series: [(time: Double, value: Double)], background: Int = 0) {
        self.metric = metric
        let end = series.last?.time ?? 0
        let half = series.filter { $0.time >= end / 2 }
        samples = half.count
        mean = half.isEmpty ? 0 : half.map(\.value).reduce(0, +) / Double(half.count)
        let fit = Self.fit(half)
        let span = (half.last?.time ?? 0) - (half.first?.time ?? 0)
        growth = fit.map { $0.slope * span }
        bound = Self.bound(
            metric: metric, mean: mean, standardError: (fit?.slopeError ?? 0) * span, background: background)
    }

    /// max(the metric's floor, 5% of the mean, 3 standard errors of the rise), and for descriptors the background
    /// clients: each holds one on both sides, and they time out and reconnect in waves (an idle client at the
    /// server's read timeout), so that a sample may find all of them open or all closed. The residuals of such a
    /// sawtooth are not independent, and 3 standard errors alone did not cover it: CI's 60 s soak of thread-pool
    /// (16 idle, 10 slow) saw the driver's descriptors rise 12.3 against 14.2 (2026-12-06). A descriptor leak grows
    /// without end and passes this in minutes at thousands of connections a second.
    public static func bound(metric: Metric, mean: Double, standardError: Double, background: Int = 0) -> Double {
        max(metric.floor, relativeBound * mean, standardErrors * standardError,
            metric == .fds ? Double(background) : 0)
    }

    /// Grew past its bound.
    public var grew: Bool { (growth ?? 0) > bound }

    /// `held`, `GREW` or `too short` (fewer than 3 samples in the second half: a soak stopped early).
    public var word: String { growth == nil ? "too short" : grew ? "GREW" : "held" }

    /// The least-squares slope of `points` and its standard error (from the residuals); nil for fewer than 3 points
    /// or all at one time.
    public static func fit(_ points: [(time: Double, value: Double)]) -> (slope: Double, slopeError: Double)? {
        guard points.count >= 3 else { return nil }
        let count = Double(points.count)
        let meanTime = points.map(\.time).reduce(0, +) / count
        let meanValue = points.map(\.value).reduce(0, +) / count
        var spread = 0.0
        var covariance = 0.0
        for point in points {
            spread += (point.time - meanTime) * (point.time - meanTime)
            covariance += (point.time - meanTime) * (point.value - meanValue)
        }
        guard spread > 0 else { return nil }
        let slope = covariance / spread
        let residuals = points.map { point in
            let residual = point.value - meanValue - slope * (point.time - meanTime)
            return residual * residual
        }.reduce(0, +)
        return (slope, (residuals / (count - 2) / spread).squareRoot())
    }
}
