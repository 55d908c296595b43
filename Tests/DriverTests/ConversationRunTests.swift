import Metrics
import Servers
import SystemCalls
import Testing
import Wire

@testable import Driver

/// The classic conversations as whole runs against our models: a size mix timed part by part, idle and slow clients
/// beside the measured ones, reconnects with backoff across a server restart, and a mix of client profiles.
// One case at a time: each is a whole load run, and 30 at once on two cores starve the suites timed beside them.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ConversationRunTests {
    private func settings(port: Int, _ wireProtocol: WireProtocol = .request) -> LoadSettings {
        var settings = LoadSettings()
        settings.port = port
        settings.wireProtocol = wireProtocol
        (settings.threads, settings.clients, settings.warmupMicros, settings.durationMicros) = (1, 4, 0, 1_000_000)
        // Long connections: a second of one-request connections would be thousands in time-wait, which the suites
        // that look for their own connections in /proc/net/tcp then have to find among.
        settings.requestsPerConnection = 100
        return settings
    }

    private func withServer(
        _ name: String, _ wireProtocol: WireProtocol = .request, threads: Int? = nil,
        _ body: (Int) async throws -> Void
    ) async throws {
        let server = ServerModel(rawValue: name)!.makeServer(
            ServerConfiguration(protocol: wireProtocol, port: 0, threads: threads))
        let address = try await server.start()
        try await body(address.port)
        await server.stop()
    }

    @Test(arguments: [WireProtocol.request, .multiplex, .echo])
    func aSizeMixTimesEachPartApart(wireProtocol: WireProtocol) async throws {
        try await withServer("epoll", wireProtocol) { port in
            var load = settings(port: port, wireProtocol)
            load.connections = 400
            (load.requestsPerConnection, load.pipeline) = wireProtocol == .echo ? (1, 1) : (5, 2)
            load.sizeMix = [SizeShare(min: 16, max: 16, percent: 75), SizeShare(min: 4096, max: 4096, percent: 25)]
            (load.sizeMin, load.sizeMax) = (16, 4096)
            let result = await LoadRun.run(load)
            let parts = result.metrics.sizeLatency.map { Int($0.count) }
            #expect(result.counters.failures.total == 0)
            #expect(parts.count == 2 && parts.reduce(0, +) == result.counters.requests)
            // Each part's responses are its size: the bytes read say every request was filed under its own part.
            let payload = 16 * parts[0] + 4096 * parts[1]
            let framing = wireProtocol == .multiplex ? MultiplexFrame.headerLength * result.counters.requests : 0
            #expect(result.counters.bytesReceived == payload + framing)
            let share = Double(parts[0]) / Double(result.counters.requests)
            #expect(share > 0.65 && share < 0.85, "75% asked, \(share) drawn")
        }
    }

    @Test func idleClientsStarveAThreadPoolButNotAnEventLoop() async throws {
        var served: [String: Int] = [:]
        for model in ["thread-pool", "epoll"] {
            try await withServer(model, threads: 2) { port in
                var load = settings(port: port)
                (load.idle, load.timeoutMicros, load.requestsPerConnection) = (6, 2_000_000, 10)
                let result = await LoadRun.run(load)
                served[model] = result.counters.requests
                let idle = try #require(result.metrics.background)
                #expect(idle.idleOpened >= 6)
                if model == "epoll" {
                    #expect(idle.idleHeldAtEnd == 6 && idle.idleDropped == 0, "an event loop holds them at no cost")
                    // Starvation shows as read timeouts; a connect that a loaded machine retried is not this test's.
                    let failures = result.counters.failures
                    let kinds = FailureKind.allCases.map { "\($0.rawValue)=\(failures[$0])" }
                    #expect(failures[.readTimeout] == 0, "\(kinds)")
                }
            }
        }
        // Two workers, each held by a silent client until its read timeout (5 s): past the first connections of the
        // four measured clients, which were queued before the idle ones, no request is served.
        #expect(served["thread-pool"]! <= 4 * 10, "\(served)")
        #expect(served["epoll"]! > 4 * 10 * 5, "\(served)")
    }

    @Test func slowClientsAreTimedApartAtTheirOwnPace() async throws {
        try await withServer("epoll") { port in
            var load = settings(port: port)
            (load.slow, load.slowBytesPerSecond) = (2, 100)
            let result = await LoadRun.run(load)
            let slow = try #require(result.metrics.background)
            // 16 bytes read at 10 bytes a step, a step every tenth of a second: two reads, a step apart at least (the
            // first may come in the request's own step, when the server answers before the client reads).
            #expect(slow.slowResponses >= 2 && slow.slowFailures.total == 0)
            #expect(slow.slowLatency.micros(atPercentile: 50) >= 100_000)
            #expect(result.metrics.totalLatency.micros(atPercentile: 50) < 50_000, "the measured clients are not slowed")
        }
    }

    @Test func clientsBackOffWhileTheServerIsGoneAndTheRecoveryIsTimed() async throws {
        let first = ServerModel(rawValue: "epoll")!.makeServer(ServerConfiguration(protocol: .request, port: 0))
        let port = try await first.start().port
        var load = settings(port: port)
        load.durationMicros = 2_500_000
        load.reconnectBackoffMicros = 5_000...200_000
        let second = ServerModel(rawValue: "epoll")!.makeServer(ServerConfiguration(protocol: .request, port: port))
        // The restart must fall inside the 2.5 s run: off Swift's cooperative threads, which the suites' blocking
        // tests can hold for seconds.
        let executor = QueueExecutor("test-restart")
        let result = try await withTaskExecutorPreference(executor) { [load] in
            async let run = LoadRun.run(load)
            for _ in 0..<50 where first.counters.requests < 100 {
                await executor.sleep(until: .now + .milliseconds(20))
            }
            await first.stop()
            await executor.sleep(until: .now + .milliseconds(400))
            _ = try await second.start()
            return await run
        }
        await second.stop()
        let figures = try #require(result.metrics.reconnect)
        #expect(result.counters.failures[.connectRefused] > 0)
        #expect(figures.reconnects == result.counters.failures[.connectRefused] + result.counters.failures[.connectionReset])
        #expect(figures.waitingAtEnd == 0)
        // Every client came back, and the time it took is there (how long depends on how busy the machine is).
        #expect(figures.recoveryMicros != nil)
        #expect(second.counters.requests > 0)
    }

    @Test func eachProfileOfAMixHasItsOwnFigures() async throws {
        try await withServer("epoll") { port in
            var load = settings(port: port)
            load.clients = 8
            load.mix = [
                ClientProfile(name: "one", percent: 25, requestsPerConnection: 1, thinkMicros: 5_000, jitterMicros: 0),
                ClientProfile(name: "ten", percent: 75, requestsPerConnection: 10, thinkMicros: 0, jitterMicros: 0),
            ]
            let result = await LoadRun.run(load)
            let (one, ten) = (result.metrics.profiles[0].counters, result.metrics.profiles[1].counters)
            #expect(one.requests + ten.requests == result.counters.requests)
            #expect(one.connectionsCompleted + ten.connectionsCompleted == result.counters.connectionsCompleted)
            // One request per connection, give or take a connection per client that the window's end cut.
            #expect(abs(one.requests - one.connectionsCompleted) <= 2)
            // Its think time comes before each new connection too: two clients, a connection every 5 ms or more.
            #expect(one.connectionsCompleted <= 2 * 200 && one.connectionsCompleted > 20)
            // Ten per connection, give or take the connections the window cut.
            #expect(abs(ten.requests - 10 * ten.connectionsCompleted) <= 10 * 6)
            #expect(ten.connectionsCompleted > 10)
        }
    }
}
