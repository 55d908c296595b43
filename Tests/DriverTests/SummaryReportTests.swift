import Foundation
import Metrics
import Testing

@testable import Driver

/// The wrk-like summary says what a person needs: rates, percentiles, failures by kind, the driver's own apart.
struct SummaryReportTests {
    @Test func summaryNamesRatesFailuresAndTheDriversOwnLimitApart() {
        var metrics = RunMetrics(openLoop: true)
        metrics.counters.requests = 5_000
        metrics.counters.connectionsCompleted = 5_000
        metrics.counters.bytesReceived = 405_000
        metrics.counters.failures[.connectRefused] = 3
        metrics.counters.failures[.localResource] = 2
        for micros: UInt64 in [100, 200, 1_500, 2_500_000] { metrics.totalLatency.record(micros: micros) }
        var settings = LoadSettings()
        settings.rate = .constant(2_500)
        let result = DriveResult(
            settings: settings, startedAt: Date(), elapsedMicros: 2_000_000, metrics: metrics, interrupted: false)
        let text = SummaryReport.render(result)
        #expect(text.contains("open loop at 2,500 connections/s"))
        #expect(text.contains("Server failures: 3 (connect refused 3)"))
        #expect(text.contains("Driver-local failures (the driver's limit, not the server's): 2"))
        #expect(text.contains("total (uncorrected)"))
        #expect(text.contains("Behind schedule"))
        #expect(text.contains("Requests/sec:       2500.00"))  // 5,000 requests in 2 s
        #expect(text.contains("2.50s"))  // the max, printed as wrk prints durations
    }

    /// An open loop says how its rate changes and what its schedules drew, so a run shows the arrivals it asked for.
    @Test func anOpenLoopSaysItsRateAndTheArrivalsItDrew() {
        var metrics = RunMetrics(openLoop: true)
        for micros: UInt64 in [5_000, 15_000] { metrics.arrivalGaps?.record(micros: micros) }
        var settings = LoadSettings()
        (settings.rate, settings.arrivals) = (.steps([1_000, 2_500], stepMicros: 5_000_000), .poisson)
        let result = DriveResult(
            settings: settings, startedAt: Date(), elapsedMicros: 10_000_000, metrics: metrics, interrupted: false)
        let text = SummaryReport.render(result)
        #expect(text.contains("open loop in steps of 5.00s at 1,000, 2,500 connections/s, Poisson arrivals"), "\(text)")
        // Gaps of 5 and 15 ms: a mean of 10 ms, a standard deviation of 5.
        #expect(text.contains("Arrivals (poisson): a client's gaps average 10.00ms, coefficient of variation 0.50"),
            "\(text)")
    }

    @Test(arguments: [(UInt64(850), "850us"), (1_250, "1.25ms"), (2_000_000, "2.00s")])
    func durationsReadAsWrkPrintsThem(micros: UInt64, text: String) {
        #expect(SummaryReport.format(micros: micros) == text)
    }
}
