import Metrics
import Servers
import TLS
import Testing
import Wire

@testable import Driver

/// The driver over TLS against each of our models: counts agree with the server's, resumption is what was asked for
/// and counted alike on both sides, and TLS failures land in their own kinds.
// One case at a time, as ServerModelRunTests: each is a whole load run.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct TLSRunTests {
    private static let clients = 16
    private static let connections = 160

    private func settings(port: Int, _ wireProtocol: WireProtocol, tls: TLSSettings?) -> LoadSettings {
        var settings = LoadSettings()
        settings.port = port
        settings.wireProtocol = wireProtocol
        (settings.threads, settings.clients, settings.warmupMicros) = (2, Self.clients, 0)
        // Counts are checked here, not speed (ServerModelRunTests says why the timeouts are long).
        (settings.connectTimeoutMicros, settings.timeoutMicros) = (10_000_000, 30_000_000)
        settings.connections = Self.connections
        settings.tls = tls
        return settings
    }

    @Test(arguments: ServerModel.allCases, WireProtocol.allCases)
    func countsAndResumptionsAgreeWithTheServer(model: ServerModel, wireProtocol: WireProtocol) async throws {
        if let reason = model.unavailable { try Test.cancel("\(model) is unavailable here: \(reason)") }
        let server = model.makeServer(ServerConfiguration(protocol: wireProtocol, port: 0, tls: TLSSettings()))
        let address = try await server.start()
        var load = settings(port: address.port, wireProtocol, tls: TLSSettings(resume: true))
        if wireProtocol.traits.exchange == .request { (load.requestsPerConnection, load.pipeline) = (5, 2) }
        // Past a TLS record (16 KiB) where the protocol allows, so that answers span several.
        if wireProtocol.traits.clientSends {
            (load.sizeMin, load.sizeMax) = (1, wireProtocol == .echo || wireProtocol == .multiplex ? 40_000 : 2_048)
        }
        let result = await LoadRun.run(load)
        await server.stop()
        let failures = FailureKind.allCases.filter { result.counters.failures[$0] > 0 }
            .map { "\($0.label) \(result.counters.failures[$0])" }
        let counters = server.counters
        #expect(result.counters.failures.total == 0, "\(failures); server: \(counters.keyValueLine)")
        #expect(result.counters.connectionsCompleted == Self.connections)
        let requests = wireProtocol.traits.exchange == .connection ? Self.connections : 5 * Self.connections
        #expect(result.counters.requests == requests)
        #expect(counters.requests == requests)
        // Each client's first handshake is full and every later one resumes its last session.
        let tls = try #require(result.metrics.tls)
        #expect(tls.fullHandshakes == Self.clients)
        #expect(tls.resumedHandshakes == Self.connections - Self.clients)
        #expect(counters.tlsHandshakes == Self.connections)
        #expect(counters.tlsResumed == tls.resumedHandshakes)
        #expect(counters.tlsFailures == 0)
        #expect(tls.version == "TLSv1.3" && tls.keyType == "EC P-256" && !tls.cipher.isEmpty && !tls.group.isEmpty)
        #expect(tls.handshakeLatency.count == UInt64(Self.connections))
    }

    @Test func aServerThatGivesNoSessionIsSaidNotToResume() async throws {
        let server = ServerModel(rawValue: "epoll")!.makeServer(
            ServerConfiguration(protocol: .greeting, port: 0, tls: TLSSettings(resume: false)))
        let address = try await server.start()
        let result = await LoadRun.run(settings(port: address.port, .greeting, tls: TLSSettings(resume: true)))
        await server.stop()
        let tls = try #require(result.metrics.tls)
        #expect(tls.resumedHandshakes == 0 && tls.fullHandshakes == Self.connections)
        #expect(server.counters.tlsResumed == 0)
        #expect(SummaryReport.render(result).contains("NOT RESUMED"))
    }

    /// A timed run ends with handshakes in flight: they offered a session and have no verdict, so they are neither
    /// resumed nor refused, and a server that resumed every one it finished is not said to have refused any.
    @Test func handshakesCutAtTheEndAreNotTakenForRefusals() async throws {
        let server = ServerModel(rawValue: "epoll")!.makeServer(
            ServerConfiguration(protocol: .greeting, port: 0, tls: TLSSettings()))
        let address = try await server.start()
        var load = settings(port: address.port, .greeting, tls: TLSSettings(resume: true))
        (load.connections, load.durationMicros) = (nil, 500_000)
        let result = await LoadRun.run(load)
        await server.stop()
        let tls = try #require(result.metrics.tls)
        #expect(tls.resumedHandshakes > Self.clients)
        #expect(tls.resumptionsOffered == tls.resumedHandshakes)
        #expect(!SummaryReport.render(result).contains("NOT RESUMED"), "\(SummaryReport.render(result))")
    }

    @Test func aClientOfAPlaintextServerCountsFailedHandshakes() async throws {
        let server = ServerModel(rawValue: "epoll")!.makeServer(ServerConfiguration(protocol: .greeting, port: 0))
        let address = try await server.start()
        var load = settings(port: address.port, .greeting, tls: TLSSettings())
        load.connections = 40
        let result = await LoadRun.run(load)
        await server.stop()
        #expect(result.counters.failures[.tlsHandshake] == 40)
        #expect(result.counters.connectionsCompleted == 0)
        #expect(result.metrics.tls?.lastFailure != nil)
    }

    @Test func aPlaintextClientOfATLSServerIsCountedByTheServer() async throws {
        let server = ServerModel(rawValue: "epoll")!.makeServer(
            ServerConfiguration(protocol: .request, port: 0, tls: TLSSettings()))
        let address = try await server.start()
        var load = settings(port: address.port, .request, tls: nil)
        load.connections = 40
        let result = await LoadRun.run(load)
        await server.stop()
        #expect(result.counters.connectionsCompleted == 0)
        #expect(result.counters.failures.serverSide == 40, "\(SummaryReport.render(result)) \(server.counters.keyValueLine)")
        #expect(server.counters.tlsFailures == 40)
    }
}
