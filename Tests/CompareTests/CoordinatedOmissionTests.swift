import Driver
import Foundation
import Testing

@testable import Compare

#if canImport(Glibc)
import Glibc
#endif

/// Coordinated omission, shown as wrk2 shows it: a server that stalls once for 500 ms under an open-loop load of
/// 2,000 requests/s. Timed from each request's intended start, the stall reaches p99; timed from the send, only the
/// few requests in flight at the stall see it, and p99 stays low.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct CoordinatedOmissionTests {
    @Test func aStallOf500msReachesTheCorrectedP99AndNotTheUncorrected() async throws {
        var (corrected, uncorrected, result) = try await stalledRun()
        // Once more when the first run's figures missed: on two cores shared with the other suites, a driver waiting
        // for a core delays requests the server did not; a driver that does not correct misses in both.
        if corrected < 400_000 || uncorrected >= 50_000 { (corrected, uncorrected, result) = try await stalledRun() }
        #expect(result.counters.failures.total == 0, "\(result.counters.failures)")
        // The run ran (10,000 requests were due; a driver sharing its cores with the other suites falls behind).
        #expect(result.counters.requests > 5_000)
        #expect(corrected >= 400_000, "corrected p99 \(corrected) us")
        #expect(uncorrected < 50_000, "uncorrected p99 \(uncorrected) us")
    }

    /// A 5 s open-loop run with the server stopped for 500 ms in its middle: the corrected and uncorrected p99.
    private func stalledRun() async throws -> (corrected: UInt64, uncorrected: UInt64, result: DriveResult) {
        let server = try ServerProcess(
            executable: BenchProcess.executable.path,
            arguments: ["serve", "--model", "epoll", "--protocol", "request", "--threads", "1", "--port", "0"],
            timeoutSeconds: 10)
        defer { _ = server.stop(timeoutSeconds: 5) }
        var load = LoadSettings()
        load.port = server.port
        load.wireProtocol = .request
        (load.clients, load.threads, load.rate) = (10, 1, 2_000)
        (load.durationMicros, load.warmupMicros) = (5_000_000, 500_000)
        let started = ContinuousClock.now
        async let driving = LoadRun.run(load)
        // The stall: SIGSTOP 2 s into the measured window, SIGCONT 500 ms later (the stall itself is the wait).
        try await Task.sleep(until: started + .milliseconds(2_500), clock: .continuous)
        kill(server.pid, SIGSTOP)
        try await Task.sleep(until: started + .milliseconds(3_000), clock: .continuous)
        kill(server.pid, SIGCONT)
        let result = await driving
        let uncorrected = try #require(result.metrics.uncorrectedLatency).micros(atPercentile: 99)
        return (result.metrics.totalLatency.micros(atPercentile: 99), uncorrected, result)
    }
}
