import Foundation
import Testing

@testable import Compare

/// `--objective` through the real executable: a run that misses one exits 3 and one that meets every one exits 0, each
/// with its verdicts in objectives.csv; a failed cell still exits 1; a wrong spelling exits 2 with a sentence.
/// Serialized: each test starts servers on the machine's two cores.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ObjectiveCommandTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("objective-\(UUID().uuidString)").path

    /// objectives.csv's rows as `objective verdict`.
    private func verdicts() throws -> [String] {
        let text = try String(contentsOfFile: directory + "/objectives.csv", encoding: .utf8)
        return try CSVReader.parse(text).records.map { "\($0["objective"]!) \($0["verdict"]!)" }
    }

    private static func flags(_ objectives: [String]) -> [String] {
        objectives.flatMap { ["--objective", $0] }
    }

    @Test func driveExits3WhenAnObjectiveIsMissedAnd0WhenEveryOneHolds() async throws {
        let server = try ServerProcess(
            executable: BenchProcess.executable.path, arguments: ["serve", "--port", "0"], timeoutSeconds: 10)
        defer { server.stop(timeoutSeconds: 5) }
        func drive(_ objectives: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
            try await BenchProcess([
                "drive", "--port", String(server.port), "--clients", "2", "-d", "300ms", "--warmup", "0s", "--quiet",
                "--out", directory,
            ] + Self.flags(objectives)).finish(within: 30)
        }
        // No exchange on loopback ends within a microsecond.
        let missed = try await drive(["errors<100%", "p50<1us"])
        #expect(missed.status == 3, "stderr: \(missed.stderr)")
        #expect(missed.stdout.contains("objectives: 1 of 2 FAILED"), "\(missed.stdout)")
        #expect(try verdicts() == ["errors<100% held", "p50<1us failed"])
        let met = try await drive(["errors<100%", "p99<1h"])
        #expect(met.status == 0, "stderr: \(met.stderr)")
        #expect(met.stdout.contains("objectives: all 2 held"), "\(met.stdout)")
        #expect(try verdicts() == ["errors<100% held", "p99<3600.00s held"])
    }

    @Test func compareJudgesEachModelAndExits3WhenOneMisses() async throws {
        func compare(_ objectives: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
            try await BenchProcess([
                "compare", "--clients", "2", "--models", "blocking", "--repeat", "1", "-d", "300ms", "--warmup", "0s",
                "--out", directory,
            ] + Self.flags(objectives)).finish(within: 60)
        }
        let missed = try await compare(["p50<1us", "errors<100%"])
        #expect(missed.status == 3, "stderr: \(missed.stderr)")
        // The objectives' table: blocking's row, p50 failed and errors held.
        #expect(missed.stdout.split(separator: "\n").contains {
            $0.hasPrefix("blocking ") && $0.contains("FAILED") && $0.contains("held")
        }, "\(missed.stdout)")
        #expect(try verdicts() == ["p50<1us failed", "errors<100% held"])
        let met = try await compare(["errors<100%"])
        #expect(met.status == 0, "stderr: \(met.stderr)")
        #expect(try verdicts() == ["errors<100% held"])
    }

    /// A cell that failed says more than a missed objective: its status wins; its row, with nothing measured, fails.
    @Test func aFailedCellExits1AndItsObjectivesFail() async throws {
        // --backlog 0 is refused by bench serve, so the server exits before it listens.
        let run = try BenchProcess([
            "compare", "--clients", "2", "--models", "blocking", "--repeat", "1", "-d", "200ms", "--warmup", "0s",
            "--backlog", "0", "--objective", "errors<100%", "--out", directory,
        ])
        let (status, _, stderr) = try await run.finish(within: 60)
        #expect(status == 1, "stderr: \(stderr)")
        #expect(try verdicts() == ["errors<100% failed"])
    }

    /// Each command is given a load small enough, and a directory of its own, that should it run all the same it ends
    /// at once and leaves nothing in the repository.
    @Test(arguments: [
        (["drive", "--objective", "achieved>=0.95"], "add --rate R"),
        (["drive", "--objective", "p99>10ms"], "a latency is held under a limit"),
        (["compare", "--objective", "errors<0.001"], "a bare number is refused"),
        (["compare", "--objective", "achieved>=0.95"], "add --rate R"),
        (["knee", "--objective", "errors<1%"], "bench knee searches under a percentile of total latency"),
    ])
    func aWrongObjectiveExits2WithASentence(arguments: [String], message: String) async throws {
        let small = ["-c", "2", "-d", "100ms", "--warmup", "0s"]
            + (arguments[0] == "drive" ? ["-p", "1"] : ["--models", "blocking", "--out", directory])
            + (arguments[0] == "compare" ? ["--repeat", "1"] : [])
        let (status, _, stderr) = try await BenchProcess(arguments + small).finish(within: 20)
        #expect(status == 2, "stderr: \(stderr)")
        #expect(stderr.contains(message), "\(stderr)")
    }

    /// knee reads its first spelling and the comparison alike: the check after the objective's is the one that fails.
    @Test(arguments: ["p99=10ms", "p99<=10ms"])
    func kneeTakesBothSpellings(objective: String) async throws {
        let (status, _, stderr) = try await BenchProcess([
            "knee", "--objective", objective, "--port", "1", "--max-window", "1ms",
        ]).finish(within: 20)
        #expect(status == 2 && stderr.contains("--max-window") && !stderr.contains("--objective"), "\(stderr)")
    }
}
