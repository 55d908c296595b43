import Foundation
import Testing

@testable import Compare

/// `bench compare` end to end with tiny client counts and durations: real servers as child processes, the
/// driver in the command's process, files under a temporary results directory. Serialized: each test counts
/// the `bench serve` processes on the machine.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct CompareCommandTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("compare-\(UUID().uuidString)").path

    private func table(_ name: String) throws -> CSVTable {
        try CSVReader.parse(String(contentsOfFile: directory + "/" + name, encoding: .utf8))
    }

    @Test func filesHoldOneRowPerCellAndAgreeWithThePrintedTable() async throws {
        let run = try BenchProcess([
            "compare", "--clients", "2,4", "--models", "blocking,event-loop", "--repeat", "2", "-d", "300ms",
            "--warmup", "100ms", "--out", directory,
        ])
        let (status, stdout, stderr) = try await run.finish(within: 90)
        #expect(status == 0, "stderr: \(stderr)")
        let summary = try table("summary.csv")
        // 2 models x 2 client counts x 2 repetitions.
        #expect(summary.records.count == 8)
        #expect(Set(summary.records.map { "\($0["model"]!) \($0["clients"]!) \($0["repetition"]!)" }).count == 8)
        #expect(summary.columns == SummaryCSV.columns)
        for row in summary.records {
            #expect(row["status"] == "ok")
            // The default load: connections of 10 requests, each waiting 1 ms in the server, which it did.
            #expect(row["protocol"] == "request" && row["requests_per_conn"] == "10" && row["work"] == "wait=1ms")
            #expect(Double(row["total_p50_us"]!)! >= 1000, "\(row["model"]!)")
            #expect(Double(row["conns_per_s"]!)! > 0)
            #expect(Int(row["fail_bad_response"]!) == 0)
            #expect(Double(row["floor_conns_per_s"]!)! > 0)
            #expect(Double(row["server_peak_rss_kib"]!)! > 0)
        }
        // The printed median of each (model, clients) is the median of its two rows (the mean of the two).
        for model in ["blocking", "event-loop"] {
            for clients in ["2", "4"] {
                let rates = summary.records.filter { $0["model"] == model && $0["clients"] == clients }
                    .map { Double($0["conns_per_s"]!)! }
                let line = try #require(stdout.split(separator: "\n").first {
                    $0.split(separator: " ", omittingEmptySubsequences: true).prefix(2) == [model[...], clients[...]]
                })
                let printed = Double(line.split(separator: " ", omittingEmptySubsequences: true)[3])!
                #expect(abs(printed - (rates[0] + rates[1]) / 2) <= 1, "\(line)")
            }
        }
        #expect(stdout.contains("machine floor"))
        let latency = try table("latency.csv")
        #expect(Set(latency.records.map { $0["metric"]! }) == ["connect", "first_byte", "total"])
        #expect(Set(latency.records.map { $0["repetitions"]! }) == ["2"])
        // Each cell's seconds add up to its requests in summary.csv: the timeline counts every response of the window
        // once, in the second it ended.
        let timeline = try table("timeline.csv")
        for row in summary.records {
            let seconds = timeline.records.filter {
                $0["model"] == row["model"] && $0["clients"] == row["clients"] && $0["repetition"] == row["repetition"]
            }
            #expect(!seconds.isEmpty)
            #expect(seconds.reduce(0) { $0 + Int($1["requests"]!)! } == Int(row["requests"]!)!, "\(row["model"]!)")
        }
        #expect(try table("meta.csv").records.contains { $0["key"] == "somaxconn" })
        #expect(run.serversSeen > 0 && run.serversLeftRunning.isEmpty, "a bench serve was left running")
        try await plotsAreDrawn()
    }

    /// plot.sh draws non-empty PNGs where gnuplot is installed, and says how to install it where it is not.
    private func plotsAreDrawn() async throws {
        let plot = Process()
        plot.executableURL = URL(fileURLWithPath: "/bin/bash")
        plot.arguments = [packageRoot() + "/plot.sh", directory]
        let errors = Pipe()
        plot.standardError = errors
        plot.standardOutput = Pipe()
        try plot.run()
        // Polled, not waited on: a blocked thread of Swift's cooperative pool would stall the other suites. plot.sh
        // prints a line per chart at most, far below a pipe's buffer, so reading after the exit is safe.
        let deadline = ContinuousClock.now + .seconds(60)
        while plot.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!plot.isRunning, "plot.sh took over 60 s")
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let gnuplotInstalled = ["/usr/bin/gnuplot", "/usr/local/bin/gnuplot"].contains {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        guard gnuplotInstalled else {
            #expect(plot.terminationStatus == 1 && message.contains("apt-get install -y gnuplot-nox"))
            return
        }
        #expect(plot.terminationStatus == 0, "\(message)")
        for chart in ["throughput", "p99", "failures", "latency-2", "latency-4", "timeline-2", "timeline-4"] {
            let size = try FileManager.default.attributesOfItem(atPath: "\(directory)/\(chart).png")[.size] as? Int
            #expect((size ?? 0) > 1000, "\(chart).png")
        }
    }

    /// The package root: where this source file's `Tests/` folder is.
    private func packageRoot() -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    @Test func aServerThatCannotStartFailsItsCellAndTheComparisonGoesOn() async throws {
        // --backlog 0 is refused by bench serve, so every server exits before it listens.
        let run = try BenchProcess([
            "compare", "--clients", "2", "--models", "thread-pool,event-loop", "--repeat", "1", "-d", "200ms",
            "--warmup", "0s", "--backlog", "0", "--out", directory,
        ])
        let (status, _, _) = try await run.finish(within: 60)
        #expect(status == 1)
        let rows = try table("summary.csv").records
        #expect(rows.count == 2)
        for row in rows {
            #expect(row["status"]!.hasPrefix("failed: server did not start"), "\(row["status"]!)")
            #expect(row["status"]!.contains("--backlog"), "the server's own error is kept: \(row["status"]!)")
        }
    }

    /// Ctrl-C, and SIGTERM as `timeout` or a CI runner stops a command, and SIGHUP as a closed terminal does: each
    /// takes the same path, ending with 128 + the signal.
    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, 143), (SIGHUP, 129)] as [(Int32, Int32)])
    func aStopSignalKeepsFinishedCellsStopsTheServerAndExits(signal: Int32, exitStatus: Int32) async throws {
        let run = try BenchProcess([
            "compare", "--clients", "2", "--models", "event-loop,blocking", "--repeat", "20", "-d", "300ms",
            "--warmup", "0s", "--out", directory,
        ])
        // Stopped once the first cell is on disk, while later cells are still to come.
        let summary = directory + "/summary.csv"
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline,
            ((try? CSVReader.parse(String(contentsOfFile: summary, encoding: .utf8)))?.records.count ?? 0) < 1
        {
            try await Task.sleep(for: .milliseconds(20))
        }
        // The census sees this comparison's server (so its emptiness after the exit means something).
        var seen = false
        while !seen && ContinuousClock.now < deadline {
            seen = !run.childServers().isEmpty
            if !seen { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(seen, "no bench serve of this build was found while the comparison ran")
        run.send(signal)
        let (status, _, stderr) = try await run.finish(within: 30)
        #expect(status == exitStatus, "stderr: \(stderr)")
        let rows = try table("summary.csv").records
        #expect((1..<40).contains(rows.count))
        #expect(rows.allSatisfy { $0["status"] == "ok" })
        try expectWholeFiles(in: directory)
        #expect(run.serversLeftRunning.isEmpty, "a bench serve was left running")
        #expect(run.descendantsLeftRunning.isEmpty, "left running: \(run.descendantsLeftRunning)")
    }
}
