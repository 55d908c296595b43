import Testing

@testable import Compare

@Suite struct RegressionCheckTests {
    let check = RegressionCheck()

    private func findings(baseline: SummaryFixture, current: SummaryFixture) throws -> [Finding] {
        try check.run(baseline: Baseline(rows: baseline.rows(), source: "baseline.csv"), current: current.rows())
    }

    @Test(arguments: ["greeting", "request"])
    func twiceAsSlowIsFlaggedForEveryModelAndMetric(protocolName: String) throws {
        let baseline = SummaryFixture(protocolName: protocolName)
        var current = baseline
        current.seed = 2
        current.throughput /= 2
        current.p99Micros *= 2
        current.cpuMicros *= 2
        let findings = try findings(baseline: baseline, current: current)
        #expect(findings.count == baseline.models.count * Metric.server.count)
        for finding in findings {
            #expect(finding.verdict == .regressed, "\(finding)")
            #expect(finding.pValue! < check.alpha)
        }
        let throughput = try #require(findings.first { $0.metric == .throughput })
        #expect(abs(throughput.changePercent! + 50) < 10)
        #expect(abs(throughput.currentMedian! / throughput.referenceMedian! - 0.5) < 0.1)
        #expect(CheckVerdict(findings).exitCode == 1)
    }

    @Test func twiceAsFastIsAnImprovementThatPasses() throws {
        let baseline = SummaryFixture()
        var current = baseline
        current.seed = 2
        current.throughput *= 2
        let findings = try findings(baseline: baseline, current: current)
        let throughput = findings.filter { $0.metric == .throughput }
        #expect(throughput.count == baseline.models.count && throughput.allSatisfy { $0.verdict == .improved })
        #expect(CheckVerdict(findings).exitCode == 0)
    }

    @Test func theSameRowsAreNoChangeAtAll() throws {
        let baseline = SummaryFixture()
        let findings = try findings(baseline: baseline, current: baseline)
        #expect(findings.allSatisfy { $0.verdict == .withinTolerance && $0.changePercent == 0 && $0.pValue == 1 })
        #expect(CheckVerdict(findings).exitCode == 0)
    }

    @Test(arguments: 2...21 as ClosedRange<UInt64>)
    func anotherDrawOfTheSameDistributionPasses(seed: UInt64) throws {
        let baseline = SummaryFixture()
        var current = baseline
        current.seed = seed
        let findings = try findings(baseline: baseline, current: current)
        #expect(CheckVerdict(findings).exitCode == 0, "\(findings.filter(\.isRegression))")
    }

    @Test func aFivePercentChangeIsWithinTolerance() throws {
        var baseline = SummaryFixture(repetitions: 10)
        baseline.noise = 0.01
        var current = baseline
        current.seed = 2
        current.throughput *= 0.95
        current.p99Micros *= 1.05
        current.cpuMicros *= 1.05
        let findings = try findings(baseline: baseline, current: current)
        for finding in findings {
            // Significant, yet too small to matter: the tolerance alone keeps it from failing.
            #expect(finding.pValue! < check.alpha)
            #expect(finding.verdict == .withinTolerance)
        }
    }

    @Test func threeRepetitionsCannotProveAnything() throws {
        // With 3 against 3 the smallest exact two-sided p is 2/20 = 0.1 (every x above every y), above alpha.
        let baseline = SummaryFixture(repetitions: 3)
        var current = baseline
        current.seed = 2
        current.throughput /= 2
        let throughput = try findings(baseline: baseline, current: current).filter { $0.metric == .throughput }
        #expect(throughput.allSatisfy { $0.verdict == .notSignificant && $0.pValue! >= 0.1 })
    }

    @Test func aLargeChangeOfOverlappingSamplesIsNotSignificant() throws {
        // Medians 1000 and 700 (-30%), but the samples interleave: scipy.stats.mannwhitneyu gives p = 0.4206.
        let fixture = SummaryFixture(models: ["event-loop"], repetitions: 5, noise: 0)
        func rows(_ throughputs: [Double]) -> [[String: String]] {
            zip(fixture.rows(), throughputs).map { $0.merging(["conns_per_s": String($1)]) { $1 } }
        }
        let baseline = try Baseline(rows: rows([1000, 1400, 600, 1200, 800]), source: "baseline.csv")
        let findings = try check.run(baseline: baseline, current: rows([500, 1300, 700, 1100, 450]))
        let throughput = try #require(findings.first { $0.metric == .throughput })
        #expect(abs(throughput.changePercent! + 30) < 1e-9)
        #expect(abs(throughput.pValue! - 0.42063492063492064) < 1e-12)
        #expect(throughput.verdict == .notSignificant)
    }

    @Test func aUniformlySlowerMachineIsNotARegression() throws {
        let baseline = SummaryFixture()
        var slowMachine = baseline
        slowMachine.seed = 2
        slowMachine.throughput /= 2
        slowMachine.p99Micros *= 2
        slowMachine.cpuMicros *= 2
        slowMachine.floorPerSecond /= 2
        let findings = try findings(baseline: baseline, current: slowMachine)
        #expect(CheckVerdict(findings).exitCode == 0)
        // The raw figures people read did halve; only the normalized ones held still.
        let throughput = try #require(findings.first { $0.metric == .throughput })
        #expect(throughput.currentMedian! < throughput.referenceMedian! * 0.6)
    }

    /// A run is normalized by the median of its floors, not each cell by its own: a short floor is noisy, and on
    /// this machine dividing each cell by its own floor failed 2 of 7 unchanged runs (SummaryRows says more).
    /// So when only the order of the floors changes, nothing normalized changes at all.
    @Test func floorsAreTheRunsMedianNotEachRepetitions() throws {
        let rows = SummaryFixture().rows()
        var shuffled = rows
        let floors = rows.map { $0["floor_conns_per_s"]! }
        for index in shuffled.indices { shuffled[index]["floor_conns_per_s"] = floors[(index + 5) % floors.count] }
        let findings = try check.run(baseline: Baseline(rows: rows, source: "b"), current: shuffled)
        for finding in findings {
            #expect(finding.changePercent == 0, "\(finding.model) \(finding.metric)")
        }
    }

    /// A model whose every repetition failed now fails the check (exit 1), even when no model succeeded:
    /// that is the models' doing, not a usage problem.
    @Test(arguments: [["blocking"], ["blocking", "thread-pool", "event-loop"]])
    func modelsThatFailEveryRepetitionFail(failing: [String]) throws {
        let baseline = SummaryFixture()
        let current = baseline.rows().map { row in
            failing.contains(row["model"]!) ? row.merging(["status": "failed: server did not start"]) { $1 } : row
        }
        let findings = try check.run(baseline: Baseline(rows: baseline.rows(), source: "b"), current: current)
        let failed = findings.filter(\.isRegression)
        #expect(failed.count == failing.count * Metric.server.count)
        #expect(failed.allSatisfy { failing.contains($0.model) && $0.verdict == .failed && $0.currentMedian == nil })
        #expect(CheckVerdict(findings).exitCode == 1)
    }

    @Test func currentRowsOfOtherWorkAreAnError() throws {
        let baseline = try Baseline(rows: SummaryFixture().rows(), source: "results/baseline.csv")
        let other = SummaryFixture(overrides: ["clients": "1000"]).rows()
        #expect {
            try check.run(baseline: baseline, current: other)
        } throws: { error in
            let error = try #require(error as? CheckError)
            return error.exitCode == 2 && error.description.contains("results/baseline.csv")
                && error.description.contains("the current run used other settings")
        }
    }
}
