import Metrics
import Servers
import Testing
import Wire

@testable import Driver

/// The driver's HTTP/2 against our own h2 server in process: streams in flight, each timed and counted, and the
/// server's stream limit met as refusals of their own kind.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct HTTP2RunTests {
    /// `connections` connections of 100 requests each, `streams` at once, to an epoll server allowing `maxStreams`.
    private func run(streams: Int, maxStreams: UInt32, connections: Int = 20) async throws -> (DriveResult, any Server) {
        let server = ServerModel(rawValue: "epoll")!.makeServer(
            ServerConfiguration(protocol: .h2, port: 0, maxStreams: maxStreams))
        let address = try await server.start()
        var settings = LoadSettings()
        (settings.port, settings.wireProtocol) = (address.port, .h2)
        (settings.threads, settings.clients, settings.warmupMicros, settings.connections) = (1, 4, 0, connections)
        (settings.requestsPerConnection, settings.pipeline, settings.sizeMin, settings.sizeMax) = (100, streams, 1, 70_000)
        let result = await LoadRun.run(settings)
        await server.stop()
        return (result, server)
    }

    @Test func everyStreamIsAnsweredAndCountedOnBothSides() async throws {
        let (result, server) = try await run(streams: 10, maxStreams: 100)
        let failures = FailureKind.allCases.filter { result.counters.failures[$0] > 0 }.map(\.label)
        #expect(result.counters.failures.total == 0, "\(failures)")
        #expect(result.counters.connectionsCompleted == 20)
        #expect(result.counters.requests == 2_000)
        #expect(result.metrics.totalLatency.count == 2_000, "each stream timed")
        #expect(server.counters.requests == 2_000)
        #expect(server.counters.protocolErrors == 0)
    }

    /// The first flight goes out before the server's SETTINGS arrive: the streams past its limit are refused (nghttp2
    /// refuses them until the client acknowledges the limit), counted apart, and the connections go on.
    @Test func streamsPastTheServersLimitAreRefusedAsTheirOwnKind() async throws {
        let (result, _) = try await run(streams: 8, maxStreams: 3, connections: 4)
        #expect(result.counters.failures[.streamRefused] == 4 * 5, "5 of each connection's first 8")
        #expect(result.counters.failures.total == result.counters.failures[.streamRefused])
        #expect(result.counters.connectionsCompleted == 4)
        #expect(result.counters.requests == 4 * 95)
    }
}
