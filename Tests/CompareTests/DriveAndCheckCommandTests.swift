import Foundation
import Testing

@testable import Compare
@testable import Driver

/// `bench drive --csv` and `bench check`'s usage answers, through the real executable.
@Suite(.timeLimit(.minutes(1)))
struct DriveAndCheckCommandTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("drive-\(UUID().uuidString)").path

    @Test func driveCSVParsesBackAndMatchesThePrintedSummary() async throws {
        let server = try ServerProcess(
            executable: BenchProcess.executable.path, arguments: ["serve", "--port", "0"], timeoutSeconds: 10)
        defer { server.stop(timeoutSeconds: 5) }
        let run = try BenchProcess([
            "drive", "--port", String(server.port), "--clients", "4", "-d", "500ms", "--warmup", "0s", "--quiet",
            "--out", directory, "--label", "ours",
        ])
        let (status, stdout, stderr) = try await run.finish(within: 30)
        #expect(status == 0, "stderr: \(stderr)")
        let rows = try CSVReader.parse(String(contentsOfFile: directory + "/summary.csv", encoding: .utf8)).records
        let row = try #require(rows.first)
        #expect(rows.count == 1 && row["model"] == "ours" && row["status"] == "ok")
        // The summary prints `Requests/sec:   12345.67` and `N requests in 0.50s`; the CSV keeps one decimal.
        let printed = try #require(stdout.split(separator: "\n").first { $0.hasPrefix("Requests/sec:") })
        let printedRate = try #require(Double(printed.split(separator: " ").last!))
        #expect(abs(printedRate - Double(row["requests_per_s"]!)!) <= 0.05)
        let requests = Int(row["requests"]!)!
        #expect(requests > 0)
        #expect(stdout.contains("; \(requests.grouped) requests in"), "\(stdout)")
        #expect(Int(row["fail_bad_response"]!) == 0)
        for file in ["latency.csv", "timeline.csv", "meta.csv"] {
            let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            #expect(try !CSVReader.parse(text).records.isEmpty, "\(file)")
        }
    }

    @Test(arguments: [
        ("", "cannot be read"),
        ("model,status\nblocking,ok\n", "has no column"),
    ])
    func aBadBaselineExits2WithASentence(contents: String, message: String) async throws {
        let path = directory + ".csv"
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (status, _, stderr) = try await BenchProcess(["check", "--baseline", path]).finish(within: 20)
        #expect(status == 2)
        #expect(stderr.contains(path) && stderr.contains(message), "\(stderr)")
        #expect(stderr.contains("bench check --update"), "the message says what to do: \(stderr)")
    }

    @Test func aMissingBaselineExits2AndWrongUsageToo() async throws {
        let missing = try await BenchProcess(["check", "--baseline", directory + "/none.csv"]).finish(within: 20)
        #expect(missing.status == 2 && missing.stderr.contains("none.csv"), "\(missing.stderr)")
        let usage = try await BenchProcess(["check", "--tolerance", "-1"]).finish(within: 20)
        #expect(usage.status == 2 && usage.stderr.contains("--tolerance"), "\(usage.stderr)")
    }
}
