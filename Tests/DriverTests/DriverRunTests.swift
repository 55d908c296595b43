import Metrics
import Synchronization
import SystemCalls
import Testing
import Wire

@testable import Driver

#if canImport(Glibc)
import Glibc
#endif

/// Short real runs on loopback against ``FaultServer``: the driver's counts against the server's, and every
/// fault ending as a counted failure within the run's time bound.
@Suite(.timeLimit(.minutes(1)))
struct DriverRunTests {
    private func settings(port: Int, _ wireProtocol: WireProtocol = .greeting) -> LoadSettings {
        var settings = LoadSettings()
        settings.port = port
        settings.wireProtocol = wireProtocol
        settings.threads = 2
        settings.clients = 8
        settings.warmupMicros = 0
        settings.durationMicros = 1_000_000
        return settings
    }

    /// The server counts a connection after close(); give it a bounded moment to catch up with the driver.
    private func settled(_ counter: borrowing Atomic<Int>, at expected: Int) async throws -> Int {
        for _ in 0..<100 where counter.load(ordering: .relaxed) < expected {
            try await Task.sleep(for: .milliseconds(20))
        }
        return counter.load(ordering: .relaxed)
    }

    @Test func greetingCountsAgreeWithTheServer() async throws {
        let server = try FaultServer(.greeting)
        defer { server.stop() }
        var load = settings(port: server.port)
        load.connections = 500
        let result = await LoadRun.run(load)
        #expect(result.counters.connectionsAttempted == 500)
        #expect(result.counters.connectionsCompleted == 500)
        #expect(result.counters.requests == 500)
        #expect(result.counters.failures.total == 0)
        #expect(result.counters.bytesReceived == 500 * Greeting.frameLength)
        #expect(try await settled(server.accepted, at: 500) == 500)
        #expect(try await settled(server.responses, at: 500) == 500)
        #expect(result.metrics.totalLatency.count == 500)
        #expect(result.metrics.timeline.seconds.reduce(0) { $0 + $1.requests } == 500)
    }

    @Test func pipelinedRequestCountsAgreeWithTheServer() async throws {
        let server = try FaultServer(.request)
        defer { server.stop() }
        var load = settings(port: server.port, .request)
        load.connections = 100
        load.requestsPerConnection = 10
        load.pipeline = 3
        (load.sizeMin, load.sizeMax) = (1, 3000)
        let result = await LoadRun.run(load)
        // 100 connections x 10 requests each.
        #expect(result.counters.requests == 1_000)
        #expect(result.counters.connectionsCompleted == 100)
        #expect(result.counters.failures.total == 0, "\(result.counters.failures)")
        #expect(result.counters.bytesSent == 1_000 * RequestHeader.length)
        #expect(try await settled(server.responses, at: 1_000) == 1_000)
        #expect(try await settled(server.bytesSent, at: result.counters.bytesReceived) == result.counters.bytesReceived)
    }

    /// Too long and wrong bytes are bad responses (ClientSession's checks); too short is a short read.
    @Test(arguments: [
        (FaultServer.Behaviour.greetingOfLength(extra: 1), FailureKind.badResponse),
        (.greetingOfLength(extra: -1), .closedEarly),
        (.wrongGreetingByte, .badResponse),
    ])
    func aBrokenGreetingIsCountedByKind(behaviour: FaultServer.Behaviour, kind: FailureKind) async throws {
        let server = try FaultServer(behaviour)
        defer { server.stop() }
        var load = settings(port: server.port)
        load.connections = 50
        let result = await LoadRun.run(load)
        #expect(result.counters.failures[kind] == 50)
        #expect(result.counters.failures.total == 50)
        #expect(result.counters.requests == 0)
        #expect(result.counters.connectionsCompleted == 0)
    }

    /// Greeting: nothing ever arrives. Request: ten pipelined requests go out and are never answered.
    @Test(arguments: WireProtocol.allCases)
    func aSilentServerGivesReadTimeoutsAndTheRunEndsOnTime(wireProtocol: WireProtocol) async throws {
        let server = try FaultServer(.silent)
        defer { server.stop() }
        var load = settings(port: server.port, wireProtocol)
        load.timeoutMicros = 300_000
        if wireProtocol == .request { (load.pipeline, load.requestsPerConnection) = (10, 10) }
        // Timed on a thread of its own: the suite's blocking tests hold Swift's cooperative threads (two on two
        // cores) for seconds, and a clock read after an await would count the wait for one to come free.
        let (result, seconds) = await PosixThread.offload("test-silent") { [load] in
            let started = MonotonicClock.nanos()
            let result = LoadRun.runInProcess(load, processIndex: 0, status: nil)
            return (result, Double(MonotonicClock.nanos() - started) / 1e9)
        }
        // Each client times out after 0.3 s (checked every 0.1 s) and is replaced, over 1 s.
        #expect(result.counters.failures[.readTimeout] >= load.clients)
        #expect(result.counters.requests == 0)
        // A hang would never end; the slack is for the driver's threads waiting for a core on a loaded machine.
        #expect(seconds < 1.0 + 0.3 + 3.0, "duration + timeout + 3 s")
    }

    @Test func aServerKilledMidRunGivesCountedFailuresAndAFinishedRun() async throws {
        // The server stops itself once it has served 50 clients (not after a guessed delay), well inside the 1.5 s run.
        let server = try FaultServer(.greeting, stopAfter: 50)
        defer { server.stop() }
        var load = settings(port: server.port)
        load.durationMicros = 1_500_000
        let result = await LoadRun.run(load)
        #expect(server.responses.load(ordering: .relaxed) >= 50)
        #expect(result.counters.connectionsCompleted >= 50)
        #expect(result.counters.failures[.connectRefused] > 0)
        #expect(result.elapsedMicros == 1_500_000)
    }

    @Test func openLoopKeepsItsScheduleAndReportsBothLatencies() async throws {
        let server = try FaultServer(.greeting)
        defer { server.stop() }
        var load = settings(port: server.port)
        load.rate = .constant(200)
        let result = await LoadRun.run(load)
        // 200 starts/s for 1 s. Never ahead of the schedule; behind it only as far as a loaded machine (CI, other
        // suites in parallel) holds the driver back, which the schedule lag then shows.
        #expect(result.counters.requests <= 200)
        #expect(result.counters.requests >= 100)
        #expect(result.metrics.uncorrectedLatency?.count == UInt64(result.counters.requests))
        #expect(result.metrics.scheduleLag?.count ?? 0 >= UInt64(result.counters.requests))
    }

    /// A connection of an open loop opens when its first request is due, not ahead of it: opened early, it would sit
    /// silent on a blocking server's one thread while requests due behind it waited in the accept queue.
    @Test func openLoopConnectsWhenTheFirstRequestIsDue() async throws {
        let server = try FaultServer(.request)
        defer { server.stop() }
        var load = settings(port: server.port, .request)
        (load.clients, load.requestsPerConnection) = (8, 1)
        load.rate = .constant(8)
        let result = await LoadRun.run(load)
        // 8 requests due in the second, one a connection (a slow machine may leave the last ones unanswered).
        // Connecting ahead, each client would also open its next connection as soon as its first closed: 16.
        #expect(result.counters.requests >= 1)
        #expect(result.counters.connectionsAttempted <= 9,
            "\(result.counters.connectionsAttempted) connections for the 8 requests due")
    }

    /// Think time is waited between a response and the next request on the same connection.
    @Test func thinkTimeSpacesTheRequestsOfAConnection() async throws {
        let server = try FaultServer(.request)
        defer { server.stop() }
        var load = settings(port: server.port, .request)
        (load.clients, load.connections, load.requestsPerConnection) = (2, 2, 4)
        (load.thinkMicros, load.jitterMicros) = (100_000, 20_000)
        let result = await LoadRun.run(load)
        #expect(result.counters.requests == 8)
        // Three think times of at least 80 ms between the four requests of each connection.
        #expect(result.elapsedMicros >= 3 * 80_000)
        // And not wildly more: think read in the wrong unit would take 1,000 times longer (300 s). Generous, because
        // a loaded machine delays timers and a dropped SYN costs a 1 s retry.
        #expect(result.elapsedMicros < 10_000_000)
    }

    @Test func nothingListeningIsConnectRefused() async throws {
        let server = try FaultServer(.greeting)
        server.stop()
        var load = settings(port: server.port)
        load.connections = 10
        let result = await LoadRun.run(load)
        #expect(result.counters.failures[.connectRefused] == 10)
    }
}
