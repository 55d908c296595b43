import Testing

@testable import Compare

@Suite struct FindingsTableTests {
    @Test func rendersOneAlignedLinePerFinding() {
        let findings = [
            Finding(model: "event-loop", metric: .throughput, unit: "conns/s", referenceMedian: 20_512.4,
                    currentMedian: 10_100, changePercent: -50.76, pValue: 0.000583, verdict: .regressed),
            Finding(model: "blocking", metric: .p99Latency, unit: "us", referenceMedian: 8.123, currentMedian: nil,
                    changePercent: nil, pValue: nil, verdict: .failed),
        ]
        let lines = FindingsTable.render(findings).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 4 && lines[3].isEmpty)
        #expect(lines[0].hasPrefix("model       metric       baseline       now"))
        #expect(lines[1] == "event-loop  throughput   20512 conns/s  10100 conns/s  -50.8%  0.000583  regressed")
        #expect(lines[2] == "blocking    p99 latency  8.12 us        -              -       -         failed")
    }

    @Test func pairsGetTheirRatiosAndTheBuildsTheirNames() {
        var finding = Finding(
            model: "driver", metric: .driverCPU, unit: "us/req", referenceMedian: 40, currentMedian: 52,
            changePercent: 30, pValue: 0.0039, verdict: .regressed)
        finding.ratios = [1.3, 1.25]
        var other = Finding(
            model: "epoll", metric: .throughput, unit: "conns/s", referenceMedian: nil, currentMedian: 100,
            changePercent: nil, pValue: nil, verdict: .notCompared)
        other.note = "the other build ran none of its 8 cells"
        let lines = FindingsTable.render([finding, other], reference: "2d84e64", current: "this tree")
            .split(separator: "\n")
        #expect(lines[0].hasPrefix("model   metric      2d84e64      this tree"))
        #expect(lines[0].hasSuffix("pairs"))
        #expect(lines[1].contains("+30.0%  0.0039   regressed  ") && lines[1].hasSuffix("  1.30 1.25"))
        #expect(lines[2].hasSuffix("not compared (the other build ran none of its 8 cells)"))
    }
}
