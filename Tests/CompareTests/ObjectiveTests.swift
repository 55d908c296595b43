import Driver
import Foundation
import Metrics
import Testing

@testable import Compare

/// `--objective`: the one parser of every command (good spellings, and a sentence for each bad one), and the verdicts
/// on what runs measured, one drive or a comparison's repetitions.
struct ObjectiveTests {
    @Test(arguments: [
        ("p99<10ms", Objective.latency(LatencyObjective(percentile: 99, micros: 10_000, comparison: .under))),
        ("p99=10ms", .latency(LatencyObjective(percentile: 99, micros: 10_000))),
        ("p99<=10ms", .latency(LatencyObjective(percentile: 99, micros: 10_000))),
        ("p99.9 <= 2.5ms", .latency(LatencyObjective(percentile: 99.9, micros: 2_500))),
        ("P50<500US", .latency(LatencyObjective(percentile: 50, micros: 500, comparison: .under))),
        ("total.p99<1s", .latency(LatencyObjective(percentile: 99, micros: 1_000_000, comparison: .under))),
        ("connect.p99<2ms",
         .latency(LatencyObjective(percentile: 99, micros: 2_000, latency: .connect, comparison: .under))),
        ("first_byte.p99.9<=5ms", .latency(LatencyObjective(percentile: 99.9, micros: 5_000, latency: .firstByte))),
        ("errors<0.1%", .errors(.under, percent: 0.1)),
        ("errors<=0%", .errors(.atMost, percent: 0)),
        ("achieved>=0.95", .achieved(.atLeast, share: 0.95)),
        ("achieved>95%", .achieved(.over, share: 0.95)),
    ])
    func readsEverySpelling(text: String, objective: Objective) throws {
        #expect(try Objective(parsing: text) == objective)
    }

    @Test func writesEachAsItsTableColumnAndItsFilesNameIt() throws {
        let texts = ["p99=10ms", "connect.p99.9<2ms", "errors<0.1%", "achieved>=95%"]
        let written = try texts.map { try Objective(parsing: $0).description }
        #expect(written == ["p99<=10.00ms", "connect.p99.9<2.00ms", "errors<0.1%", "achieved>=0.95"])
        // What it writes, it reads back as itself.
        for text in written { #expect(try Objective(parsing: text).description == text) }
    }

    /// Each mistake gets a sentence naming the text, what is wrong and a spelling that works.
    @Test(arguments: [
        ("p99", "such as p99<10ms"),
        ("99<10ms", "'99' is not a measure"),
        ("latency.p99<10ms", "connect.pP or first_byte.pP"),
        ("p100<1ms", "is not a measure"),
        ("p0<1ms", "is not a measure"),
        ("p99>10ms", "a latency is held under a limit: p99<10ms"),
        ("p99<fast", "takes a duration such as"),
        ("p99<0ms", "above 0"),
        ("errors<0.001", "a bare number is refused"),
        ("errors<101%", "from 0% to 100%"),
        ("errors>1%", "errors is held under a limit"),
        ("errors=1%", "errors is held under a limit"),
        ("errors<0%", "errors<=0% asks for none"),
        ("achieved<0.95", "achieved is held over a limit"),
        ("achieved>=1.5", "at most 1"),
        ("achieved>=0", "above 0"),
    ])
    func refusesWhatIsNotAnObjectiveSayingHowToWriteIt(text: String, message: String) {
        do {
            _ = try Objective(parsing: text)
            Issue.record("'\(text)' was read as an objective")
        } catch {
            #expect(error.description.hasPrefix("--objective '\(text)': "), "\(error.description)")
            #expect(error.description.contains(message), "\(error.description)")
        }
    }

    @Test func achievedNeedsAnOpenLoop() throws {
        var load = LoadSettings()
        let achieved = try Objective(parsing: "achieved>=0.95")
        #expect(achieved.problem(for: load)?.contains("add --rate R") == true)
        #expect(try Objective(parsing: "p99<10ms").problem(for: load) == nil)
        load.rate = .constant(1_000)
        #expect(achieved.problem(for: load) == nil)
    }

    /// A share of a load spread over hosts offers its clients' part of the rate.
    @Test func theOfferedRateIsThisHostsShare() {
        var load = LoadSettings()
        (load.clients, load.threads, load.processes, load.rate) = (10, 2, 1, .constant(1_000))
        #expect(load.offeredRate == 1_000)
        // Four loops over two hosts: the first two take 3 clients each, this host's two take 2 each.
        (load.hostShare, load.hostShares) = (1, 2)
        #expect(load.offeredRate == 400)
        load.rate = nil
        #expect(load.offeredRate == nil)
    }

    // MARK: Verdicts

    /// One cell of a second's window: `latencies` as total latency, `requests` valid responses and `failures` resets,
    /// under an open loop at `rate` requests/s when given.
    private func cell(
        repetition: Int = 1, latencies: [UInt64], requests: Int, failures: Int = 0, rate: Double? = nil,
        failure: String? = nil
    ) -> CellResult {
        var load = LoadSettings()
        (load.wireProtocol, load.clients, load.threads, load.processes, load.rate) = (
            .request, 10, 1, 1, rate.map(OfferedRate.constant))
        var metrics = RunMetrics(openLoop: rate != nil)
        for micros in latencies { metrics.totalLatency.record(micros: micros) }
        metrics.counters.requests = requests
        metrics.counters.failures[.connectionReset] = failures
        let drive = DriveResult(
            settings: load, startedAt: Date(), elapsedMicros: 1_000_000, metrics: metrics, interrupted: false)
        return CellResult(
            cell: .init(subject: .external("ours"), clients: 10, repetition: repetition), settings: load, drive: drive,
            server: nil, floor: nil, failure: failure)
    }

    private func verdict(_ text: String, _ cells: [CellResult]) throws -> ObjectiveVerdict {
        let verdicts = ObjectiveVerdict.judge([try Objective(parsing: text)], cells)
        #expect(verdicts.count == 1)
        return try #require(verdicts.first)
    }

    @Test func aLatencyPercentileHoldsUnderItsLimitAndFailsOverIt() throws {
        // 1 ms to 100 ms: p50 is 50 ms, p99 is 99 ms.
        let run = [cell(latencies: (1...100).map { $0 * 1_000 }, requests: 100)]
        let p99 = try verdict("p99<100ms", run)
        #expect(p99.held && p99.figure.map { abs($0 - 99_000) < 100 } == true, "\(String(describing: p99.figure))")
        #expect(try !verdict("p99<98ms", run).held)
        // The histogram keeps three significant digits: 50 ms reads as up to 50.05 ms.
        #expect(try verdict("p50<=50.1ms", run).held)
        #expect(try !verdict("p50<50ms", run).held)
        // No connect was timed: nothing shows the objective held.
        let connect = try verdict("connect.p99<1h", run)
        #expect(connect.figure == nil && !connect.held)
    }

    @Test func errorsAreFailuresOverEveryExchangeThatEnded() throws {
        // 999 responses and 1 failure: 0.1% of 1,000 exchanges.
        let run = [cell(latencies: [1_000], requests: 999, failures: 1)]
        let errors = try verdict("errors<=0.1%", run)
        #expect(errors.held && errors.figure.map { abs($0 - 0.1) < 1e-9 } == true, "\(errors.figure ?? -1)")
        #expect(try !verdict("errors<0.1%", run).held)
        #expect(try verdict("errors<=0%", [cell(latencies: [1_000], requests: 5)]).held)
        #expect(try !verdict("errors<100%", [cell(latencies: [], requests: 0)]).held, "no exchange, no verdict")
    }

    @Test func achievedIsTheAchievedRateOverTheOfferedOne() throws {
        // 960 responses in the 1 s window of an open loop at 1,000/s.
        let run = [cell(latencies: [1_000], requests: 960, rate: 1_000)]
        let achieved = try verdict("achieved>=0.95", run)
        #expect(achieved.held && achieved.figure.map { abs($0 - 0.96) < 1e-9 } == true)
        #expect(try !verdict("achieved>=97%", run).held)
    }

    /// Over a comparison's repetitions, the figures are the table's: medians of the finished cells, failures summed
    /// over every cell.
    @Test func aRowIsJudgedOnTheTablesFigures() throws {
        let cells = [
            cell(repetition: 1, latencies: [1_000], requests: 100),
            cell(repetition: 2, latencies: [3_000], requests: 100, failures: 2),
            cell(repetition: 3, latencies: [900_000], requests: 96, failures: 2, failure: "server died"),
        ]
        let p50 = try verdict("p50<2.5ms", cells)
        #expect(p50.held && p50.figure.map { abs($0 - 2_000) < 5 } == true, "\(String(describing: p50.figure))")
        let errors = try verdict("errors<2%", cells)
        #expect(errors.figure.map { abs($0 - 4.0 / 300 * 100) < 1e-9 } == true, "\(String(describing: errors.figure))")
        // A row per model and client count, objectives in their order within it; the file holds them row by row.
        var other = cell(latencies: [5_000], requests: 100)
        other.cell = .init(subject: .external("theirs"), clients: 20, repetition: 1)
        let objectives = try ["p50<2.5ms", "errors<1%"].map { try Objective(parsing: $0) }
        let verdicts = ObjectiveVerdict.judge(objectives, cells + [other])
        #expect(verdicts.map { "\($0.model) \($0.clients) \($0.objective) \($0.held)" } == [
            "ours 10 p50<2.50ms true", "ours 10 errors<1% false", "theirs 20 p50<2.50ms false",
            "theirs 20 errors<1% true",
        ])
        let file = try #require(ObjectivesCSV.files(verdicts).first)
        #expect(file.name == "objectives.csv" && file.table.columns == ObjectivesCSV.columns)
        #expect(file.table.records.map { $0["verdict"]! } == ["held", "failed", "failed", "held"])
        #expect(file.table.records[0]["limit"] == "2500" && file.table.records[0]["unit"] == "us")
        let table = ObjectivesTable.render(verdicts)
        #expect(table.contains("FAILED 1.333%") && table.contains("held 2.00ms"), "\(table)")
        #expect(table.hasSuffix("objectives: 2 of 4 FAILED\n"), "\(table)")
        #expect(ObjectivesTable.render([]).isEmpty && ObjectivesCSV.files([]).isEmpty)
    }
}
