import Foundation
import Testing

@testable import Compare

/// Where io_uring is refused, the io-uring model says so in one line and exits, and a comparison skips it with the
/// reason instead of failing. The refusal is simulated (BENCH_IO_URING_REFUSE=1), so that these run on any kernel.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct IOUringRefusalTests {
    static let refuse = ["BENCH_IO_URING_REFUSE=1"]
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("uring-\(UUID().uuidString)").path

    @Test func serveSaysWhyInOneLineAndExits() async throws {
        let run = try BenchProcess(["serve", "--model", "io-uring", "--port", "0"], environment: Self.refuse)
        let (status, stdout, stderr) = try await run.finish(within: 30)
        #expect(status == 1)
        #expect(stdout.isEmpty, "no listening line: \(stdout)")
        #expect(stderr == "bench: io-uring: unavailable on this system: io_uring refused (simulated by "
            + "BENCH_IO_URING_REFUSE=1)\n")
    }

    @Test func compareSkipsTheModelWithTheReasonAndSucceeds() async throws {
        let run = try BenchProcess(
            ["compare", "--clients", "2", "--models", "epoll,io-uring", "--repeat", "1", "-d", "200ms", "--warmup",
             "100ms", "--out", directory],
            environment: Self.refuse)
        let (status, stdout, stderr) = try await run.finish(within: 90)
        #expect(status == 0, "stderr: \(stderr)")
        let summary = try CSVReader.parse(String(contentsOfFile: directory + "/summary.csv", encoding: .utf8))
        let statuses = Dictionary(uniqueKeysWithValues: summary.records.map { ($0["model"]!, $0["status"]!) })
        #expect(statuses["epoll"] == "ok")
        #expect(statuses["io-uring"] == "skipped: io_uring refused (simulated by BENCH_IO_URING_REFUSE=1)")
        #expect(stdout.contains("skipped: io_uring refused"), "the table's row says why: \(stdout)")
        try? FileManager.default.removeItem(atPath: directory)
    }
}
