import Testing

@testable import Compare

@Suite struct FindingsTableTests {
    @Test func rendersOneAlignedLinePerFinding() {
        let findings = [
            Finding(model: "event-loop", metric: .throughput, unit: "conns/s", baselineMedian: 20_512.4,
                    currentMedian: 10_100, changePercent: -50.76, pValue: 0.000583, verdict: .regressed),
            Finding(model: "blocking", metric: .p99Latency, unit: "us", baselineMedian: 8.123, currentMedian: nil,
                    changePercent: nil, pValue: nil, verdict: .failed),
        ]
        let lines = FindingsTable.render(findings).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 4 && lines[3].isEmpty)
        #expect(lines[0].hasPrefix("model       metric       baseline       now"))
        #expect(lines[1] == "event-loop  throughput   20512 conns/s  10100 conns/s  -50.8%  0.000583  regressed")
        #expect(lines[2] == "blocking    p99 latency  8.12 us        -              -       -         failed")
    }
}
