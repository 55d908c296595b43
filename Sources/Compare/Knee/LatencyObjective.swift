import Driver

/// A latency objective, `p99=10ms`: the percentile of the corrected total latency (open loop, from each request's
/// intended start) that a load must stay at or under.
public struct LatencyObjective: Sendable, Equatable, CustomStringConvertible {
    /// 0-100 exclusive: 50, 99, 99.9.
    public var percentile: Double
    public var micros: UInt64

    public init(percentile: Double, micros: UInt64) {
        self.percentile = percentile
        self.micros = micros
    }

    /// Reads `pP=DURATION` (`p99=10ms`, `p99.9=2.5ms`, `p50=500us`); the error says what was wrong.
    public init(parsing text: String) throws(Units.ParseError) {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        let problem = Units.ParseError(
            description: "--objective takes pPERCENTILE=LATENCY, such as p99=10ms or p99.9=50ms, not '\(text)'")
        guard parts.count == 2, parts[0].first == "p", let percentile = Double(parts[0].dropFirst()),
            percentile > 0, percentile < 100
        else { throw problem }
        let micros = try Units.durationMicros(parts[1], option: "--objective")
        guard micros > 0 else { throw problem }
        self.init(percentile: percentile, micros: UInt64(micros))
    }

    /// `p99` or `p99.9`, as the percentile's column is named.
    public var name: String { "p" + Units.decimal(percentile) }

    /// `p99<=10.00ms`.
    public var description: String { "\(name)<=\(SummaryReport.format(micros: micros))" }
}
