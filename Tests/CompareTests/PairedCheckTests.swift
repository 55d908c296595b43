import Testing

@testable import Compare

@Suite struct PairedCheckTests {
    let check = PairedCheck(tolerance: 0.05, alpha: 0.05)

    private func findings(_ fixture: PairedFixture) throws -> [Finding] {
        try check.run(rows: fixture.rows(), wireProtocol: .greeting)
    }

    @Test(arguments: 1...20 as ClosedRange<UInt64>)
    func theSameBuildTwicePassesHoweverTheMachineDrifts(seed: UInt64) throws {
        // The machine moves by up to ±30% from pair to pair, far beyond the 5% tolerance; the pairs cancel it.
        let findings = try findings(PairedFixture(seed: seed))
        #expect(findings.count == 4 * 3)
        #expect(CheckVerdict(findings).exitCode == 0, "\(findings.filter(\.isRegression))")
    }

    @Test func aSlowdownOfOneModelNamesThatModelAndNoOther() throws {
        // 23% slower: throughput x 1/1.3, p99 and CPU x 1.3.
        var fixture = PairedFixture()
        fixture.slowdown = ["thread-pool": (1 / 1.3, 1.3, 1.3)]
        let findings = try findings(fixture)
        let regressed = findings.filter(\.isRegression)
        #expect(regressed.count == 3 && regressed.allSatisfy { $0.model == "thread-pool" && $0.verdict == .regressed })
        let throughput = try #require(regressed.first { $0.metric == .throughput })
        #expect(abs(throughput.changePercent! + 23) < 3)
        // Every pair says so: the smallest p 8 pairs can give.
        #expect(throughput.pValue == 1.0 / 256)
        #expect(throughput.ratios.count == 8 && throughput.ratios.allSatisfy { $0 < 0.85 })
        #expect(CheckVerdict(findings).exitCode == 1)
    }

    @Test func theDriverIsJudgedOnItsOwnCPU() throws {
        var fixture = PairedFixture()
        fixture.slowdown = ["driver": (1, 1, 1.2)]
        let regressed = try findings(fixture).filter(\.isRegression)
        #expect(regressed.map { "\($0.model) \($0.metric.rawValue)" } == ["driver driver CPU"])
    }

    @Test func aChangeWithinTheToleranceIsNotARegressionEvenWhenConsistent() throws {
        var fixture = PairedFixture()
        fixture.noise = 0.002
        fixture.slowdown = ["blocking": (0.97, 1.03, 1.03)]
        let blocking = try findings(fixture).filter { $0.model == "blocking" }
        #expect(blocking.allSatisfy { $0.verdict == .withinTolerance }, "\(blocking)")
    }

    @Test func aLargeChangeThatThePairsDoNotAgreeOnIsNotSignificant() throws {
        // Half the pairs 20% slower, half 10% faster: the median moves, the pairs disagree.
        let rows = PairedFixture(subjects: ["event-loop"], drift: 0, noise: 0).rows()
        let changed = rows.enumerated().map { index, row in
            guard row["build"] == "current" else { return row }
            let factor = index % 4 == 0 ? 1.1 : 0.8
            return row.merging(["conns_per_s": String(30_000 * factor)]) { $1 }
        }
        let throughput = try #require(
            try check.run(rows: changed, wireProtocol: .greeting).first { $0.metric == .throughput })
        #expect(throughput.verdict == .notSignificant, "\(throughput)")
    }

    @Test func twiceAsFastIsAnImprovementThatPasses() throws {
        var fixture = PairedFixture()
        fixture.slowdown = ["event-loop": (2, 0.5, 0.5)]
        let findings = try findings(fixture)
        #expect(findings.filter { $0.model == "event-loop" }.allSatisfy { $0.verdict == .improved })
        #expect(CheckVerdict(findings).exitCode == 0)
    }

    @Test func cellsThatFailOnlyInThisBuildFailTheCheck() throws {
        var fixture = PairedFixture()
        fixture.currentFailures = ["blocking 3", "blocking 6"]
        let blocking = try findings(fixture).filter { $0.model == "blocking" }
        #expect(blocking.allSatisfy { $0.verdict == .failed && $0.note == "2 of 8 cells failed here, 0 there" })
        // One stray failure is tolerated, and the same failures in both builds are the machine's.
        fixture.currentFailures = ["blocking 3"]
        #expect(try findings(fixture).allSatisfy { !$0.isRegression })
        fixture.currentFailures = ["blocking 3", "blocking 6"]
        fixture.againstFailures = ["blocking 3", "blocking 6"]
        #expect(try findings(fixture).allSatisfy { !$0.isRegression })
    }

    @Test func aModelTheOtherBuildLacksIsNotCompared() throws {
        var fixture = PairedFixture()
        fixture.againstFailures = Set((1...8).map { "event-loop \($0)" })
        let findings = try findings(fixture)
        #expect(findings.filter { $0.model == "event-loop" }.allSatisfy { $0.verdict == .notCompared })
        #expect(CheckVerdict(findings).exitCode == 0)
    }

    @Test func pairsCSVHoldsEveryPairWithItsRatio() throws {
        var fixture = PairedFixture()
        fixture.slowdown = ["blocking": (0.5, 1, 1)]
        let table = PairsCSV.table(fixture.rows(), wireProtocol: .greeting)
        // 4 subjects x 3 metrics x 8 pairs; the fixture writes the current build's row first.
        #expect(table.rows.count == 96)
        let blocking = table.records.filter { $0["model"] == "blocking" && $0["metric"] == "throughput" }
        #expect(blocking.count == 8 && blocking.allSatisfy { $0["first"] == "current" })
        for row in blocking {
            let ratio = Double(row["current"]!)! / Double(row["against"]!)!
            #expect(abs(Double(row["ratio"]!)! - ratio) < 1e-4 && ratio < 0.6)
        }
    }

    /// A model the other build lacks is measured beside the reference server: its figures and their ratio, no
    /// verdict (they are different servers), and it cannot fail the check; one with no pairs at all says why, in
    /// the words of the run's pairing.
    @Test func aModelWithoutCounterpartIsShownBesideTheReferenceAndNeverRegresses() throws {
        var fixture = PairedFixture()
        fixture.subjects = ["blocking", "new", "lonely", "driver"]
        fixture.counterpart = ["new": "reference", "lonely": String?.none]
        fixture.slowdown = ["new": (throughput: 0.5, p99: 2, cpu: 2)]
        let findings = try PairedCheck().run(
            rows: fixture.rows(), wireProtocol: .greeting,
            alone: ["lonely": "not in the other build, and refserver does not speak greeting"])
        let new = findings.filter { $0.model == "new" }
        #expect(new.count == 3 && new.allSatisfy { $0.verdict == .notCompared })
        let throughput = try #require(new.first { $0.metric == .throughput })
        #expect(throughput.note?.hasPrefix("not in the other build: against refserver, 0.5") == true, "\(throughput.note!)")
        let lonely = findings.filter { $0.model == "lonely" }
        #expect(lonely.count == 3 && lonely.allSatisfy {
            $0.verdict == .notCompared && $0.note == "not in the other build, and refserver does not speak greeting"
        })
        #expect(CheckVerdict(findings).exitCode == 0)
    }
}
