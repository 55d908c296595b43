import Testing

@testable import Compare

/// The one rule `bench check` ends by, whether it measured in pairs or against a file.
@Suite struct CheckVerdictTests {
    private func finding(_ model: String, _ metric: Metric, _ verdict: Finding.Verdict) -> Finding {
        Finding(
            model: model, metric: metric, unit: "", referenceMedian: 1, currentMedian: 1, changePercent: 0, pValue: 0.5,
            verdict: verdict)
    }

    @Test func aModelRegressesWhenAnyMetricRegressedOrFailedAndIsNamedOnce() {
        let findings = [
            finding("blocking", .throughput, .withinTolerance),
            finding("epoll", .throughput, .regressed),
            finding("epoll", .p99Latency, .regressed),
            finding("prefork", .serverCPU, .failed),
            finding("driver", .driverCPU, .improved),
            finding("event-loop", .p99Latency, .notSignificant),
        ]
        let verdict = CheckVerdict(findings)
        #expect(verdict.regressed == ["epoll", "prefork"])
        #expect(verdict.exitCode == 1)
        #expect(verdict.line(against: "abc123") == "REGRESSION against abc123: epoll, prefork")
    }

    @Test func changesWithinTheToleranceOrNotSignificantPass() {
        let verdict = CheckVerdict([
            finding("blocking", .throughput, .withinTolerance), finding("epoll", .p99Latency, .notSignificant),
            finding("driver", .throughput, .improved), finding("thread-pool", .serverCPU, .notCompared),
        ])
        #expect(verdict.exitCode == 0)
        #expect(verdict.line(against: "abc123") == "no regression against abc123")
    }
}
