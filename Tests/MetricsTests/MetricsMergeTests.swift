import Foundation
import Testing

@testable import Metrics

/// Merging per-worker metrics must give exactly what one worker recording everything would have.
struct MetricsMergeTests {
    /// Latencies spread over six decades, split between two workers in an uneven pattern.
    private let values: [UInt64] = (0..<5_000).map { UInt64(1 + ($0 * 7_919) % 2_000_000) }

    @Test func histogramMergeIsExact() {
        var whole = LatencyHistogram()
        var left = LatencyHistogram()
        var right = LatencyHistogram()
        for (index, value) in values.enumerated() {
            whole.record(micros: value)
            if index % 3 == 0 { left.record(micros: value) } else { right.record(micros: value) }
        }
        left.merge(right)
        #expect(left.count == 5_000)
        #expect(left == whole)
        for percentile in [50.0, 90, 99, 99.9, 100] {
            #expect(left.micros(atPercentile: percentile) == whole.micros(atPercentile: percentile))
        }
        #expect(left.maxMicros == whole.maxMicros)
        #expect(left.summary == whole.summary)
    }

    @Test func valuesBeyondTheRangeAreClampedNotDropped() {
        var histogram = LatencyHistogram()
        histogram.record(micros: .max)
        #expect(histogram.count == 1)
        // 3 significant digits: the clamped value comes back within 0.1% of the top of the range.
        let top = Double(LatencyHistogram.highestTrackableMicros)
        #expect(abs(Double(histogram.maxMicros) - top) <= top / 1_000)
    }

    @Test func emptyHistogramReportsZeros() {
        let histogram = LatencyHistogram()
        #expect(histogram.summary.p99Micros == 0)
        #expect(histogram.maxMicros == 0)
        #expect(histogram.spectrum.isEmpty)
    }

    @Test func countersAndTimelineMergeBySum() {
        var left = RunMetrics(openLoop: true)
        var right = RunMetrics()
        left.counters.requests = 3
        left.counters.failures[.readTimeout] = 2
        left.timeline.recordRequest(second: 0, latencyMicros: 100)
        right.counters.requests = 4
        right.counters.failures[.readTimeout] = 1
        right.counters.failures[.localResource] = 5
        right.timeline.recordRequest(second: 2, latencyMicros: 900)
        right.timeline.recordFailure(second: 2)
        left.merge(right)
        #expect(left.counters.requests == 7)
        #expect(left.counters.failures[.readTimeout] == 3)
        #expect(left.counters.failures.serverSide == 3)
        #expect(left.counters.failures.driverLocal == 5)
        #expect(left.timeline.seconds.map(\.requests) == [1, 0, 1])
        #expect(left.timeline.seconds.map(\.failures) == [0, 0, 1])
        #expect(left.timeline.seconds[2].p99Micros >= 890)  // 2 significant digits: within 1% of 900
    }

    @Test func runMetricsSurviveJSON() throws {
        var metrics = RunMetrics(openLoop: true)
        for value in values.prefix(100) {
            metrics.totalLatency.record(micros: value)
            metrics.uncorrectedLatency?.record(micros: value / 2)
        }
        metrics.counters.failures[.connectRefused] = 9
        metrics.timeline.recordRequest(second: 1, latencyMicros: 42)
        let json = try JSONEncoder().encode(metrics)
        #expect(String(decoding: json, as: UTF8.self).contains("\"connect_refused\":9"))
        #expect(try JSONDecoder().decode(RunMetrics.self, from: json) == metrics)
    }
}
