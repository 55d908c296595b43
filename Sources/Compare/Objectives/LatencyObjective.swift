import Driver
import Metrics

/// A latency objective, `p99<=10ms` or `connect.p99<2ms`: a percentile of one of the latencies the driver times apart
/// and the limit it must stay under. Total latency is corrected in an open loop (from each request's intended start).
/// Read by ``Objective/init(parsing:)``, the one parser of every command's `--objective`.
public struct LatencyObjective: Sendable, Equatable, CustomStringConvertible {
    /// Which latency, named as summary.csv names its columns (`connect_p99_us`, `first_byte_p99_us`, `total_p99_us`).
    public enum Latency: String, Sendable, CaseIterable {
        case total
        case connect
        case firstByte = "first_byte"
    }

    public var latency: Latency
    /// 0-100 exclusive: 50, 99, 99.9.
    public var percentile: Double
    public var micros: UInt64
    /// `<=`, or `<`.
    public var comparison: Objective.Comparison

    public init(
        percentile: Double, micros: UInt64, latency: Latency = .total, comparison: Objective.Comparison = .atMost
    ) {
        self.latency = latency
        self.percentile = percentile
        self.micros = micros
        self.comparison = comparison
    }

    /// Whether `measured` microseconds meet the limit.
    public func holds(_ measured: Double) -> Bool {
        comparison.holds(measured, limit: Double(micros))
    }

    /// The histogram of this objective's latency in `metrics`.
    public func histogram(_ metrics: RunMetrics) -> LatencyHistogram {
        switch latency {
        case .total: metrics.totalLatency
        case .connect: metrics.connectLatency
        case .firstByte: metrics.firstByteLatency
        }
    }

    /// `p99`, `p99.9`, `connect.p99`: the percentile of total latency bare, the others after their latency's name.
    public var name: String {
        (latency == .total ? "" : latency.rawValue + ".") + "p" + Units.decimal(percentile)
    }

    /// `p99<=10.00ms`.
    public var description: String { "\(name)\(comparison.rawValue)\(SummaryReport.format(micros: micros))" }
}
