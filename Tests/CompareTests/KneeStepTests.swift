import Driver
import Foundation
import Metrics
import Testing

@testable import Compare

/// A step's verdict on the rate it achieved: 95% of the offered rate, widened under Poisson arrivals to the spread
/// of the window's count where that spread is the larger.
struct KneeStepTests {
    /// A one-second step of the request protocol offered `offered`/s that completed `requests`, each in 1 ms.
    private func step(offered: Double, requests: Int, arrivals: Arrivals) -> KneeStep {
        var load = LoadSettings()
        (load.wireProtocol, load.clients, load.rate, load.arrivals) = (.request, 10, .constant(offered), arrivals)
        var metrics = RunMetrics(openLoop: true)
        for _ in 0..<requests { metrics.totalLatency.record(micros: 1_000) }
        metrics.counters.requests = requests
        let drive = DriveResult(
            settings: load, startedAt: Date(), elapsedMicros: 1_000_000, metrics: metrics, interrupted: false)
        let result = CellResult(
            cell: .init(subject: .external("ours"), clients: 10, repetition: 1), settings: load, drive: drive,
            server: nil, floor: nil, failure: nil)
        return KneeStep(
            result: result, phase: .ramp, offered: offered,
            objective: LatencyObjective(percentile: 99, micros: 10_000), tolerance: 0.1)
    }

    @Test func aPoissonCountWithinItsSpreadIsNotSaturation() {
        // 1,000/s for 1 s: the count's deviation is 32, so 905 is the bound, not 950.
        #expect(step(offered: 1_000, requests: 916, arrivals: .poisson).verdict == .pass)
        #expect(step(offered: 1_000, requests: 900, arrivals: .poisson).verdict == .rate)
        // Evenly spaced starts have no spread: 95% it is.
        #expect(step(offered: 1_000, requests: 916, arrivals: .uniform).verdict == .rate)
        #expect(step(offered: 1_000, requests: 950, arrivals: .uniform).verdict == .pass)
    }

    @Test func aHighPoissonRateKeepsTheShare() {
        // 10,000/s: three deviations are 300, less than the 5% (500), so 9,500 stays the bound.
        #expect(step(offered: 10_000, requests: 9_450, arrivals: .poisson).verdict == .rate)
        #expect(step(offered: 10_000, requests: 9_550, arrivals: .poisson).verdict == .pass)
    }
}
