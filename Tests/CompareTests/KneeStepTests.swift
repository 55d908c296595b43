import Driver
import Foundation
import Metrics
import Testing

@testable import Compare

/// A step's verdict on the rate it achieved and on its halves' agreement: 95% of the offered rate, and halves within
/// 10% of it, each widened under Poisson arrivals to the spread of the window's counts where that spread is the larger.
struct KneeStepTests {
    /// A step of the request protocol offered `offered`/s whose second i completed the requests of `latencies[i]`,
    /// each its latency in microseconds.
    private func step(offered: Double, latencies: [[UInt64]], arrivals: Arrivals) -> KneeStep {
        var load = LoadSettings()
        (load.wireProtocol, load.clients, load.rate, load.arrivals) = (.request, 10, .constant(offered), arrivals)
        var metrics = RunMetrics(openLoop: true)
        for (second, requests) in latencies.enumerated() {
            for micros in requests {
                metrics.totalLatency.record(micros: micros)
                metrics.timeline.recordRequest(second: second, latencyMicros: micros)
            }
        }
        metrics.counters.requests = latencies.reduce(0) { $0 + $1.count }
        let drive = DriveResult(
            settings: load, startedAt: Date(), elapsedMicros: 1_000_000 * latencies.count, metrics: metrics,
            interrupted: false)
        let result = CellResult(
            cell: .init(subject: .external("ours"), clients: 10, repetition: 1), settings: load, drive: drive,
            server: nil, floor: nil, failure: nil)
        return KneeStep(
            result: result, phase: .ramp, offered: offered,
            objective: LatencyObjective(percentile: 99, micros: 10_000), tolerance: 0.1)
    }

    /// A step whose second i completed `perSecond[i]` requests, each in 1 ms.
    private func step(offered: Double, perSecond: [Int], arrivals: Arrivals) -> KneeStep {
        step(offered: offered, latencies: perSecond.map { Array(repeating: 1_000, count: $0) }, arrivals: arrivals)
    }

    /// A one-second step that completed `requests`.
    private func step(offered: Double, requests: Int, arrivals: Arrivals) -> KneeStep {
        step(offered: offered, perSecond: [requests], arrivals: arrivals)
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

    @Test func poissonHalvesWithinTheirSpreadAreSteady() {
        // 1,000/s in halves of a second: the difference of their rates has a deviation of 45, so halves may differ by
        // 134/s, not 100.
        #expect(step(offered: 1_000, perSecond: [1_060, 940], arrivals: .poisson).verdict == .pass)
        #expect(step(offered: 1_000, perSecond: [1_070, 930], arrivals: .poisson).verdict == .unsteady)
        // Evenly spaced starts: 10% it is.
        #expect(step(offered: 1_000, perSecond: [1_060, 940], arrivals: .uniform).verdict == .unsteady)
        #expect(step(offered: 1_000, perSecond: [1_040, 960], arrivals: .uniform).verdict == .pass)
        // Three seconds: halves of 1 s and 2 s, whose difference has a deviation of sqrt(1,000 + 500), so 116/s may
        // part them (halves of 1.5 s each would allow 110).
        #expect(step(offered: 1_000, perSecond: [1_112, 1_000, 1_000], arrivals: .poisson).verdict == .pass)
        #expect(step(offered: 1_000, perSecond: [1_120, 1_000, 1_000], arrivals: .poisson).verdict == .unsteady)
        // 10,000/s: three deviations are 424/s, less than the 10% (1,000), which stays the bound.
        #expect(step(offered: 10_000, perSecond: [10_600, 9_400], arrivals: .poisson).verdict == .unsteady)
        #expect(step(offered: 10_000, perSecond: [10_400, 9_600], arrivals: .poisson).verdict == .pass)
    }

    @Test func kneeCSVSaysWhatAnUnsteadyVerdictCameFrom() throws {
        let unsteady = step(offered: 1_000, perSecond: [1_070, 930], arrivals: .poisson)
        let row = try #require(KneeCSV.steps([unsteady]).records.first)
        #expect(row["verdict"] == "fail: unsteady")
        #expect(row["first_half_per_s"] == "1070" && row["second_half_per_s"] == "930", "\(row)")
        let oneSecond = step(offered: 1_000, requests: 1_000, arrivals: .poisson)
        let short = try #require(KneeCSV.steps([oneSecond]).records.first)
        #expect(short["first_half_per_s"] == "" && short["second_half_per_s"] == "", "no halves under 2 s: \(short)")
    }

    /// `count` latencies of an exponential distribution of mean `millis`: its quantiles at (k - 0.5) / count, so
    /// that a test's verdict is not a draw.
    private func exponential(count: Int, millis: Double) -> [UInt64] {
        (1...count).map { UInt64(-log(1 - (Double($0) - 0.5) / Double(count)) * millis * 1_000) }
    }

    @Test func halvesWhosePercentilesDifferWithinTheirIntervalsAreSteady() {
        // 200 requests a half, exponential: p99s of 4.4 and 5.7 ms differ by more than 10% of the 10 ms objective,
        // but each is a draw whose interval (ranks 195-200: 3.6-6.0 and 4.7-7.8 ms) holds the other.
        let few = [exponential(count: 200, millis: 1), exponential(count: 200, millis: 1.3)]
        #expect(step(offered: 200, latencies: few, arrivals: .uniform).verdict == .pass)
        // 20,000 a half: the same two distributions, now with intervals of 4.5-4.8 and 5.8-6.2 ms. The latency moved.
        let many = [exponential(count: 20_000, millis: 1), exponential(count: 20_000, millis: 1.3)]
        #expect(step(offered: 20_000, latencies: many, arrivals: .uniform).verdict == .unsteady)
    }
}
