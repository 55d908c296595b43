import Foundation
import Testing

@testable import Compare

/// `bench check --against` through the real executable: this build against itself (an A/A run) with tiny cells,
/// and the usage answers.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct PairedCheckCommandTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paired-\(UUID().uuidString)").path

    /// A baseline of one model with cells of 0.6 s after 0.1 s of warmup: long enough for the server's CPU, read from
    /// /proc in clock ticks, to be more than 0 in every cell while the other tests load the machine.
    private func writeBaseline() throws -> String {
        let fixture = SummaryFixture(
            models: ["blocking"], repetitions: 2, overrides: ["duration_s": "0.6", "warmup_s": "0.1", "clients": "8"])
        let path = directory + "-baseline.csv"
        try fixture.csv().write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `bench check` of `baseline`'s blocking model, this build against itself (an A/A run), five pairs, its files
    /// in `directory`. A tolerance of 90%: cells of 0.6 s on a machine busy with the other tests swing by tens of
    /// percent, but a build against itself that is 90% worse in all five pairs, whichever went first, is a check
    /// that pairs the wrong cells or reads the wrong columns, not noise. (The false-alarm rate at the default
    /// tolerance is measured in docs/check.md; .ci/run checks that a real slowdown is named.)
    static func againstItself(_ baseline: String, out directory: String) async throws -> (
        run: BenchProcess, status: Int32, stdout: String, stderr: String
    ) {
        let run = try BenchProcess([
            "check", "--baseline", baseline, "--against", BenchProcess.executable.path, "--repeat", "5",
            "--tolerance", "90%", "--models", "blocking", "--out", directory,
        ])
        let (status, stdout, stderr) = try await run.finish(within: 150)
        return (run, status, stdout, stderr)
    }

    @Test func thisBuildAgainstItselfPassesWithEveryPairInTheFiles() async throws {
        let baseline = try writeBaseline()
        defer { try? FileManager.default.removeItem(atPath: baseline) }
        let (run, status, stdout, stderr) = try await Self.againstItself(baseline, out: directory)
        #expect(status == 0, "stdout: \(stdout)\nstderr: \(stderr)")
        let verdict = stdout.split(separator: "\n").last ?? ""
        // The other build is named by its path and the revision it says it is.
        #expect(verdict.hasPrefix("no regression against \(BenchProcess.executable.path) ("), "\(stdout)")
        let summary = try CSVReader.parse(String(contentsOfFile: directory + "/summary.csv", encoding: .utf8))
        // blocking and the driver, 5 pairs each, two builds per pair.
        #expect(summary.records.count == 20)
        for row in summary.records {
            #expect(row["status"] == "ok", "\(row["model"]!) \(row["build"]!): \(row["status"]!)")
            #expect(["current", "against"].contains(row["build"]!))
            #expect(Double(row["conns_per_s"]!)! > 0)
            let cpu = row["model"] == "driver" ? "driver_cpu_us_per_request" : "server_cpu_us_per_request"
            #expect(Double(row[cpu]!)! > 0, "\(row["model"]!) \(cpu)")
        }
        let pairs = try CSVReader.parse(String(contentsOfFile: directory + "/pairs.csv", encoding: .utf8))
        #expect(pairs.records.count == 2 * 3 * 5)
        let firsts = pairs.records.filter { $0["metric"] == "throughput" }.map { $0["first"]! }
        #expect(firsts.filter { $0 == "current" }.count == 5, "each build goes first in half the pairs: \(firsts)")
        let meta = try CSVReader.parse(String(contentsOfFile: directory + "/meta.csv", encoding: .utf8)).records
        #expect(meta.contains { $0["key"] == "fixed_server" })
        #expect(meta.contains { $0["key"] == "cpu_model" && !$0["value"]!.isEmpty })
        #expect(run.serversSeen > 0 && run.serversLeftRunning.isEmpty, "a bench serve was left running")
    }

    @Test(arguments: [
        (["--against", "/no/such/bench-or-revision"], "neither an executable nor a revision"),
        (["--repeat", "3"], "use --repeat 5 or more"),
        (["--unpaired", "--against", "HEAD"], "choose one"),
        (["--update", "--against", "HEAD"], "--update measures this tree alone"),
        (["--tolerance", "0.05"], "--tolerance takes a percentage"),
    ])
    func usageProblemsExit2WithASentence(arguments: [String], message: String) async throws {
        let baseline = try writeBaseline()
        defer { try? FileManager.default.removeItem(atPath: baseline) }
        let (status, _, stderr) = try await BenchProcess(["check", "--baseline", baseline] + arguments)
            .finish(within: 30)
        #expect(status == 2)
        #expect(stderr.contains(message), "\(stderr)")
    }
}
