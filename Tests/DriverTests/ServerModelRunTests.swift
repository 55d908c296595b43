import Metrics
import Servers
import SystemCalls
import Testing
import Wire

@testable import Driver

/// Short real runs against each of our server models: the driver's counts against the server's own counters,
/// and a server stopped mid-run ending as counted failures in a run that still finishes on time.
// One case at a time: each is a whole load run, and 30 at once on two cores starve the suites timed beside them.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ServerModelRunTests {
    private func settings(port: Int, _ wireProtocol: WireProtocol) -> LoadSettings {
        var settings = LoadSettings()
        settings.port = port
        settings.wireProtocol = wireProtocol
        (settings.threads, settings.clients, settings.warmupMicros) = (2, 16, 0)
        // Counts are checked here, not speed: a blocking model serves one of the 16 clients at a time while the others
        // wait queued, and on two cores shared with the other suites a wait, or a SYN retried after 1 s or 3 s (a
        // source port meeting its own TIME_WAIT), passes the default 2 s and 5 s timeouts.
        (settings.connectTimeoutMicros, settings.timeoutMicros) = (10_000_000, 30_000_000)
        return settings
    }

    @Test(arguments: ServerModel.allCases, WireProtocol.allCases)
    func countsAgreeWithTheServer(model: ServerModel, wireProtocol: WireProtocol) async throws {
        let (result, server) = try await countedRun(model, wireProtocol)
        let requests = wireProtocol.traits.exchange == .connection ? 400 : 2_000
        // Everything that tells a failure's cause: the kinds the driver saw and the server's own count of timeouts,
        // resets and refusals.
        let failures = FailureKind.allCases.filter { result.counters.failures[$0] > 0 }
            .map { "\($0.label) \(result.counters.failures[$0])" }
        #expect(result.counters.failures.total == 0, "\(failures); server: \(server.counters.keyValueLine)")
        #expect(result.counters.connectionsCompleted == 400)
        #expect(result.counters.requests == requests)
        #expect(server.counters.connections == 400)
        #expect(server.counters.requests == requests)
        #expect(server.counters.bytesSent == result.counters.bytesReceived)
    }

    /// 400 connections to a server of `model` started for the run and stopped after it.
    private func countedRun(_ model: ServerModel, _ wireProtocol: WireProtocol) async throws -> (
        DriveResult, any Server
    ) {
        if let reason = model.unavailable { try Test.cancel("\(model) is unavailable here: \(reason)") }
        let server = model.makeServer(ServerConfiguration(protocol: wireProtocol, port: 0))
        let address = try await server.start()
        var load = settings(port: address.port, wireProtocol)
        load.connections = 400
        // An echo is one exchange per connection; the other protocols ask 5 per connection. Multiplex and echo
        // sizes reach past a 16 KiB frame.
        if wireProtocol.traits.exchange == .request { (load.requestsPerConnection, load.pipeline) = (5, 2) }
        if wireProtocol.traits.clientSends {
            (load.sizeMin, load.sizeMax) = (1, wireProtocol == .echo || wireProtocol == .multiplex ? 20_000 : 2_048)
        }
        let result = await LoadRun.run(load)
        await server.stop()
        return (result, server)
    }

    @Test(arguments: ServerModel.allCases)
    func aServerStoppedMidRunGivesCountedFailuresAndAFinishedRun(model: ServerModel) async throws {
        if let reason = model.unavailable { try Test.cancel("\(model) is unavailable here: \(reason)") }
        let server = model.makeServer(ServerConfiguration(protocol: .greeting, port: 0))
        let address = try await server.start()
        var load = settings(port: address.port, .greeting)
        (load.durationMicros, load.timeoutMicros) = (1_500_000, 500_000)
        // Off Swift's cooperative threads, which the suites' blocking tests can hold past the end of the run.
        let executor = QueueExecutor("test-stop")
        let result = await withTaskExecutorPreference(executor) { [load] in
            async let run = LoadRun.run(load)
            // Stop once the server has served some clients (polled for at most 1 s of the 1.5 s run), not after a
            // guessed delay.
            for _ in 0..<50 where server.counters.connections < 50 {
                await executor.sleep(until: .now + .milliseconds(20))
            }
            #expect(server.counters.connections >= 50)
            await server.stop()
            return await run
        }
        #expect(result.counters.connectionsCompleted > 0)
        #expect(result.counters.failures.serverSide > 0)
        #expect(result.elapsedMicros == 1_500_000)
    }
}
