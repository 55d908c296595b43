import Foundation
import Metrics
import SystemCalls
import Testing

@testable import Compare

/// Whether python3 imports hdrh, asked once.
let pythonHasHdrh: Bool = {
    guard let child = try? ChildProcess("python3", ["-c", "import hdrh"], stdout: .discard, stderr: .discard,
        searchPath: true) else { return false }
    return child.wait(timeoutSeconds: 20).exit.isClean
}()

/// `--hlog` against Python's `hdrh` package (PyPI: hdrhistogram), an implementation of HdrHistogram written apart
/// from ours: each reads what the other wrote, with the same counts and percentiles.
@Suite(.serialized, .timeLimit(.minutes(2)), .enabled(if: pythonHasHdrh,
    "python3 with the hdrh package is missing (pip install hdrhistogram)"))
struct HdrLogInteropTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("hdrlog/hdrlog.py").path

    /// Per tag: count, max and a few percentiles, as the script prints them.
    typealias Figures = [String: [String: UInt64]]

    static func python(_ arguments: [String]) async throws -> Figures {
        let output = await HTTPInteropTests.run("python3", [script] + arguments)
        let data = try #require(output.split(separator: "\n").last.map { Data($0.utf8) }, "no output: \(output)")
        return try JSONDecoder().decode(Figures.self, from: data)
    }

    /// The same figures from our reading of a log.
    static func ours(_ log: IntervalLog) -> Figures {
        var figures: Figures = [:]
        for tag in log.tags {
            let histogram = log.histogram(tag: tag)
            var line = ["count": histogram.count, "max": histogram.maxMicros]
            for (name, percentile) in [("p50", 50.0), ("p90", 90), ("p99", 99), ("p99.9", 99.9)] {
                line[name] = histogram.micros(atPercentile: percentile)
            }
            figures[tag ?? "null"] = line
        }
        return figures
    }

    @Test func weReadWhatPythonWrote() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("py-\(UUID().uuidString).hlog").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let theirs = try await Self.python(["write", path, "20261203"])
        let log = try IntervalLog.parse(String(contentsOfFile: path, encoding: .utf8))
        #expect(Set(theirs.keys) == ["connect", "total", "slow"])
        #expect(Self.ours(log) == theirs)
        #expect(log.intervals.count == 15)
        #expect(log.intervals.first?.start == 0 && log.intervals.last?.start == 4, "relative to the first interval")
    }

    /// A real run's log: Python reads every interval, and its union of each tag is the run's own figures.
    @Test func pythonReadsWhatBenchDriveWrote() async throws {
        let server = try ServerProcess(
            executable: BenchProcess.executable.path,
            arguments: ["serve", "--model", "epoll", "--protocol", "request", "--port", "0"], timeoutSeconds: 10)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hlog-\(UUID().uuidString)").path
        let (status, _, stderr) = try await BenchProcess([
            "drive", "--port", String(server.port), "--protocol", "request", "--requests", "10", "--clients", "20",
            "--threads", "1", "--rate", "4000", "-d", "3s", "--warmup", "500ms", "--quiet", "--out", directory,
            "--hlog", directory + "/run.hlog",
        ]).finish(within: 30)
        server.stop(timeoutSeconds: 5)
        #expect(status == 0, "\(stderr)")
        let theirs = try await Self.python(["read", directory + "/run.hlog"])
        let log = try IntervalLog.parse(String(contentsOfFile: directory + "/run.hlog", encoding: .utf8))
        #expect(Set(theirs.keys) == ["connect", "first_byte", "total", "uncorrected"], "open loop: all four")
        #expect(Self.ours(log) == theirs)
        let row = try #require(try CSVReader.parse(
            String(contentsOfFile: directory + "/summary.csv", encoding: .utf8)).records.first)
        #expect(theirs["total"]?["count"].map(String.init) == row["requests"])
        // The values too, against the run's own histogram, which never went through the encoding.
        for (figure, column) in [("p50", "total_p50_us"), ("p99", "total_p99_us"), ("max", "total_max_us")] {
            #expect(theirs["total"]?[figure].map(String.init) == row[column], "\(figure)")
        }
        #expect(theirs["uncorrected"]?["count"] == theirs["total"]?["count"])
        #expect(theirs["connect"]?["count"].map(String.init) == row["conns_established"])
        #expect(log.intervals.filter { $0.tag == "total" }.count == 3, "one a second of the 3 s window")
    }
}
