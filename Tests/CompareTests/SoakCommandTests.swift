import Foundation
import Testing

@testable import Compare

/// `bench soak` end to end: a server that leaks is caught by its own samples, through the files and the exit status.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct SoakCommandTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("soak-\(UUID().uuidString)").path

    /// 8 KiB per connection at 1,000 connections/s: 8 MiB a second, 24 MiB over the second half of 6 s, past any
    /// bound a 30-60 MiB server gets; its descriptors and threads do not grow with it. (The driver is not judged
    /// here: 6 s of a debug build is still its warm-up.)
    @Test func aServerThatLeaksPerConnectionGrew() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (status, stdout, stderr) = try await BenchProcess([
            "soak", "--models", "epoll", "--rate", "1000", "--clients", "4", "--threads", "1", "--idle", "2",
            "--slow", "1", "-d", "6s", "--sample", "200ms", "--leak-per-connection", "8192", "--out", directory,
        ]).finish(within: 60)
        #expect(status == 1, "stdout: \(stdout)\nstderr: \(stderr)")
        let verdicts = try CSVReader.parse(String(contentsOfFile: directory + "/soak.csv", encoding: .utf8)).records
        let grew = Set(verdicts.filter { $0["verdict"] == "GREW" }.map { "\($0["process"]!) \($0["metric"]!)" })
        #expect(grew.contains("server rss_bytes"), "\(verdicts)")
        #expect(grew.isDisjoint(with: ["server fds", "server threads"]), "\(verdicts)")
        let samples = try CSVReader.parse(String(contentsOfFile: directory + "/samples.csv", encoding: .utf8)).records
        #expect(Set(samples.map { $0["process"]! }) == ["server", "driver"])
        #expect(samples.count >= 40, "\(samples.count) samples in 6 s at 200 ms")
        #expect(stdout.contains("GREW"), "\(stdout)")
        try expectWholeFiles(in: directory)
    }
}
