/// Whether a run measured the driver rather than the server: the busiest driver thread's share of the measured
/// window, and how late its loop noticed what was due. A driver thread that is busy all the time, or whose loop
/// runs late, delays the clients it serves, and then its latencies and rates are its own.
public struct DriverHealth: Sendable {
    /// CPU time of each driver thread in the window, as a percentage of the window.
    public var threadBusyPercent: [Double]
    public var loopLagP99Micros: UInt64
    public var loopLagMaxMicros: UInt64

    /// A thread at least this busy had no time left to serve its clients promptly.
    public static let busyLimitPercent = 90.0
    /// Loop lag at p99 beyond this is the driver's own delay, of the order of the latencies measured on loopback.
    public static let lagLimitMicros: UInt64 = 1_000

    public init(_ result: DriveResult) {
        let window = Double(max(1, result.elapsedMicros))
        threadBusyPercent = result.metrics.threadCPUMicros.map { 100 * Double($0) / window }
        loopLagP99Micros = result.metrics.loopLag.micros(atPercentile: 99)
        loopLagMaxMicros = result.metrics.loopLag.maxMicros
    }

    public var busiestPercent: Double { threadBusyPercent.max() ?? 0 }

    /// `driver_bound`: a driver thread was busy at least ``busyLimitPercent`` of the window, or its loop lag passed
    /// ``lagLimitMicros`` at p99.
    public var isBound: Bool { busiestPercent >= Self.busyLimitPercent || loopLagP99Micros > Self.lagLimitMicros }

    /// The reason in words, for the summary: "busiest thread 97% of the window", "loop lag p99 2.10ms".
    public var reasons: [String] {
        var reasons: [String] = []
        if busiestPercent >= Self.busyLimitPercent {
            reasons.append("a thread busy \(Int(busiestPercent.rounded()))% of the window")
        }
        if loopLagP99Micros > Self.lagLimitMicros {
            reasons.append("loop lag p99 \(SummaryReport.format(micros: loopLagP99Micros))")
        }
        return reasons
    }
}
