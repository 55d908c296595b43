import Foundation
import Testing

@testable import Compare
@testable import Driver
import Metrics

/// `bench drive --share K/N --start-at TIME`: drivers that split one load between them and start it together.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct SharedDriveTests {
    @Test(arguments: [(10, 3, 2), (7, 2, 1), (400, 4, 2)])
    func hostsTakeEveryClientOnceBetweenThem(clients: Int, hosts: Int, threads: Int) {
        var settings = LoadSettings()
        (settings.clients, settings.threads, settings.hostShares) = (clients, threads, hosts)
        var workers: [Int] = []
        var total = 0
        for host in 0..<hosts {
            settings.hostShare = host
            let mine = (0..<threads).map { settings.firstWorker + $0 }
            workers += mine
            total += mine.map { settings.share(of: clients, worker: $0) }.reduce(0, +)
        }
        #expect(total == clients)
        #expect(workers == Array(0..<(hosts * threads)), "each event loop of every host has a place of its own")
    }

    @Test(arguments: ["0/2", "3/2", "1", "a/b", "1/0"])
    func refusesShareThatIsNot(text: String) {
        #expect(throws: Units.ParseError.self) { try Units.hostShare(text) }
    }

    @Test func readsStartTimes() throws {
        #expect(try StartAt.parse("1796247000").timeIntervalSince1970 == 1_796_247_000)
        #expect(try StartAt.parse("2026-12-02T21:30:00Z").timeIntervalSince1970 == 1_796_247_000)
        #expect(try StartAt.parse("2026-12-02T21:30:00.250Z").timeIntervalSince1970 == 1_796_247_000.25)
        #expect(throws: Units.ParseError.self) { try StartAt.parse("tomorrow") }
        #expect(throws: Units.ParseError.self) { try StartAt.parse("2026-12-02T21:30:00") }  // no zone: not UTC
        // Found by Fuzz/Targets/options (Fuzz/corpus/options/start-at-infinity): a time that never comes.
        #expect(throws: Units.ParseError.self) { try StartAt.parse("1791e30825") }
    }

    @Test(arguments: [
        ("2024-02-29T00:00:00Z", 1_709_164_800), ("2000-03-01T00:00:00Z", 951_868_800),
        ("1970-01-01T00:00:00Z", 0), ("2026-12-31T23:59:59.5Z", 1_798_761_599.5),
        ("2026-12-02T21:30:00.123456789Z", 1_796_247_000.123456789),
    ])
    func readsUTCTimesOfEveryMonthAndLeapDay(text: String, seconds: Double) throws {
        #expect(try StartAt.parse(text).timeIntervalSince1970 == seconds)
    }

    /// Times a calendar has not, and the long fraction under which ICU's parser divided by zero (found by
    /// Fuzz/Targets/options: Fuzz/corpus/options/start-at-long-fraction).
    @Test(arguments: [
        "2026-02-29T00:00:00Z", "2026-02-30T21:30:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z",
        "2026-12-02T24:00:00Z", "2026-12-02T21:60:00Z", "2026-12-02T21:30:60Z", "2026-12-02T21:30:00.Z",
        "2026-12-02T21:30:00.1234567890Z", "2026-12-02T21:30:00+01:00Z", "1969-12-31T23:59:59Z",
        "2026-12-02T21:30:00." + String(repeating: "1", count: 100) + "25Z",
    ])
    func refusesTimesNoCalendarHas(text: String) {
        #expect(throws: Units.ParseError.self) { try StartAt.parse(text) }
    }

    /// Two drivers, each half of 400 connections, started together against one server: the server counts the whole.
    @Test func twoSharesMakeTheWholeLoadAndStartTogether() async throws {
        let server = try ServerProcess(
            executable: BenchProcess.executable.path,
            arguments: ["serve", "--model", "epoll", "--protocol", "request", "--port", "0"], timeoutSeconds: 10)
        let start = String(format: "%.3f", Date().timeIntervalSince1970 + 3)
        let directories = (1...2).map { _ in
            FileManager.default.temporaryDirectory.appendingPathComponent("share-\(UUID().uuidString)").path
        }
        let runs = try (1...2).map { share in
            try BenchProcess([
                "drive", "--port", String(server.port), "--protocol", "request", "--requests", "5", "--clients", "10",
                "--threads", "1", "--connections", "400", "--share", "\(share)/2", "--start-at", start, "--quiet",
                "--out", directories[share - 1], "--hlog", directories[share - 1] + "/latency.hlog",
            ])
        }
        for run in runs {
            let (status, _, stderr) = try await run.finish(within: 30)
            #expect(status == 0, "\(stderr)")
        }
        let usage = server.stop(timeoutSeconds: 5)
        for directory in directories {
            let row = try #require(try CSVReader.parse(
                String(contentsOfFile: directory + "/summary.csv", encoding: .utf8)).records.first)
            #expect(row["conns_completed"] == "200" && row["requests"] == "1000", "\(row)")
            let meta = try CSVReader.parse(String(contentsOfFile: directory + "/meta.csv", encoding: .utf8)).records
            let late = try #require(meta.first { $0["key"] == "start_late_s" }?["value"].flatMap(Double.init))
            #expect(late < 0.5, "started \(late) s late")
        }
        // A numeric address is not probed before the run: the server saw the run's connections and no others.
        #expect(usage.counters?.connections == 400, "\(usage.counters)")
        #expect(usage.counters?.requests == 2_000, "\(usage.counters)")
        // Merged: the server's totals, and percentiles of the two histograms added (between the hosts' own).
        let merged = FileManager.default.temporaryDirectory.appendingPathComponent("merged-\(UUID().uuidString)").path
        let (status, _, stderr) = try await BenchProcess(["merge"] + directories + ["--out", merged]).finish(within: 30)
        #expect(status == 0, "\(stderr)")
        let row = try #require(try CSVReader.parse(
            String(contentsOfFile: merged + "/summary.csv", encoding: .utf8)).records.first)
        #expect(row["conns_completed"] == "400" && row["requests"] == "2000" && row["share"] == "", "\(row)")
        let parts = try directories.map { try DriveResultFile.read(from: $0).result.metrics.totalLatency }
        let whole = parts[0].merged(with: parts[1])
        #expect(row["total_p99_us"] == String(whole.micros(atPercentile: 99)))
        #expect(whole.count == 2_000)
        // The interval logs too: each second's histograms added, their union the merged run's histogram.
        let log = try IntervalLog.parse(String(contentsOfFile: merged + "/latency.hlog", encoding: .utf8))
        #expect(log.tags == ["connect", "first_byte", "total"])
        #expect(log.histogram(tag: "total") == whole)
        #expect(log.histogram(tag: "connect").count == 400)
    }

    @Test func refusesRunsThatAreNotSharesOfOneLoad() async throws {
        func written(_ change: (inout LoadSettings) -> Void) throws -> String {
            var settings = LoadSettings()
            settings.hostShares = 2
            change(&settings)
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("part-\(UUID().uuidString)").path
            try AtomicFile.makeDirectory(directory)
            let result = DriveResult(
                settings: settings, startedAt: Date(), elapsedMicros: 1_000_000, metrics: RunMetrics(),
                interrupted: false)
            try DriveResultFile(label: "external", result: result).write(into: directory)
            return directory
        }
        func logged(_ directory: String) throws -> String {
            try IntervalLog(startTime: 0, intervals: []).render().write(
                toFile: directory + "/latency.hlog", atomically: true, encoding: .utf8)
            return directory
        }
        let first = try written { $0.hostShare = 0 }
        let cases: [([String], String)] = [
            ([first, try written { ($0.hostShare, $0.requestsPerConnection) = (1, 5) }],
             "differ in requestsPerConnection"),
            ([first], "share 2/2 is missing"),
            ([first, try written { $0.hostShare = 0 }], "share 1/2 is given twice"),
            ([first, "/no/such/run"], "result.json is missing"),
            ([first, try logged(written { $0.hostShare = 1 })], "has no .hlog file while others have"),
        ]
        for (directories, message) in cases {
            let out = FileManager.default.temporaryDirectory
                .appendingPathComponent("refused-\(UUID().uuidString)").path
            let (status, _, stderr) = try await BenchProcess(["merge"] + directories + ["--out", out])
                .finish(within: 30)
            #expect(status == 2 && stderr.contains(message), "\(directories): \(stderr)")
        }
    }

    @Test func aLateStartSaysByHowMuch() async throws {
        let server = try ServerProcess(
            executable: BenchProcess.executable.path, arguments: ["serve", "--port", "0"], timeoutSeconds: 10)
        defer { server.stop(timeoutSeconds: 5) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("late-\(UUID().uuidString)").path
        let past = String(format: "%.3f", Date().timeIntervalSince1970 - 2)
        let (status, _, stderr) = try await BenchProcess([
            "drive", "--port", String(server.port), "--clients", "2", "--connections", "10", "--start-at", past,
            "--quiet", "--out", directory,
        ]).finish(within: 30)
        #expect(status == 0, "\(stderr)")
        #expect(stderr.contains("s after --start-at \(past)"), "\(stderr)")
        let meta = try CSVReader.parse(String(contentsOfFile: directory + "/meta.csv", encoding: .utf8)).records
        let late = try #require(meta.first { $0["key"] == "start_late_s" }?["value"].flatMap(Double.init))
        #expect(late >= 2, "recorded \(late) s")
    }
}
