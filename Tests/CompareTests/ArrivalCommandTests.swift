import Foundation
import SystemCalls
import Testing

@testable import Compare

#if canImport(Glibc)
import Glibc
#endif

/// `--rate A..B`, `--rate A,B,C --step T` and `--arrivals` through the real executable: wrong usage exits 2 with a
/// sentence saying what works, a ramp's files say what each second offered, and `bench knee` runs its steps with the
/// arrivals asked for.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ArrivalCommandTests {
    private func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)").path
    }

    private func records(_ directory: String, _ file: String) throws -> [[String: String]] {
        try CSVReader.parse(String(contentsOfFile: directory + "/" + file, encoding: .utf8)).records
    }

    @Test(arguments: [
        (["drive", "--rate", "5.."], "--rate A..B takes a rate at each end, such as 1k..10k"),
        (["drive", "--rate", "10,20"], "give it, such as --step 10s"),
        (["drive", "--step", "10s"], "--step is how long each rate of a --rate list holds"),
        (["drive", "--rate", "5", "--step", "1s"], "--step applies to a --rate list"),
        (["drive", "--rate", "10,20", "--step", "10s", "-d", "5s"], "leave --duration out, or make it at least 20s"),
        (["drive", "--arrivals", "bogus"], "'uniform' and 'poisson'"),
        (["drive", "--arrivals", "poisson"], "--arrivals poisson spaces the starts of an open loop: give --rate too"),
        (["compare", "--rate", "1k..", "--models", "epoll"], "--rate A..B takes a rate at each end"),
        (["knee", "--arrivals", "bogus"], "'uniform' and 'poisson'"),
    ])
    func wrongUsageExits2WithTheFix(arguments: [String], message: String) async throws {
        let (status, _, stderr) = try await BenchProcess(arguments).finish(within: 20)
        #expect(status == 2 && stderr.contains(message), "\(arguments): \(stderr)")
    }

    /// A ramp from 200 to 400 connections/s over 2 s: 250 offered in the first second and 350 in the second.
    @Test func aRampSaysWhatEachSecondOffered() async throws {
        let server = try ServerProcess(
            executable: BenchProcess.executable.path, arguments: ["serve", "--port", "0"], timeoutSeconds: 10)
        defer { server.stop(timeoutSeconds: 5) }
        let directory = temporary("ramp")
        let (status, stdout, stderr) = try await BenchProcess([
            "drive", "--port", String(server.port), "--clients", "8", "--threads", "1", "--rate", "200..400",
            "--arrivals", "poisson", "-d", "2s", "--warmup", "0s", "--quiet", "--out", directory,
        ]).finish(within: 30)
        #expect(status == 0, "\(stderr)")
        #expect(stdout.contains("open loop ramping from 200 to 400 connections/s, Poisson arrivals"), "\(stdout)")
        let row = try #require(try records(directory, "summary.csv").first)
        #expect(row["arrivals"] == "poisson" && row["rate_schedule"] == "--rate 200.0..400.0", "\(row)")
        #expect(row["rate_per_s"] == "300", "the mean of the ramp")
        let seconds = try records(directory, "timeline.csv")
        #expect(seconds.prefix(2).map { $0["offered"] } == ["250", "350"], "\(seconds)")
    }

    /// Against a port nothing listens on every step fails at once; what matters is that each ran Poisson arrivals.
    @Test func kneeStepsRunTheArrivalsAskedFor() async throws {
        let (listener, port) = try LoopbackSocket.listen()
        close(listener)
        let directory = temporary("knee-arrivals")
        let (status, _, stderr) = try await BenchProcess([
            "knee", "--port", String(UInt16(bigEndian: port)), "--arrivals", "poisson", "--clients", "10",
            "--threads", "1", "--start-rate", "100", "-d", "200ms", "--warmup", "0s", "--max-window", "200ms",
            "--out", directory,
        ]).finish(within: 30)
        #expect(status != 2, "\(stderr)")
        let rows = try records(directory, "summary.csv")
        #expect(!rows.isEmpty && rows.allSatisfy { $0["arrivals"] == "poisson" }, "\(rows.map { $0["arrivals"] })")
    }
}
