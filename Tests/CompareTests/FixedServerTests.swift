import Driver
import TLS
import Testing
import Wire

@testable import Compare

/// Which server `bench check`'s driver pairs drive, and the reason the check prints when it is not refserver.
struct FixedServerTests {
    static let refserver = BenchProcess.executable.deletingLastPathComponent().appendingPathComponent("refserver").path

    static func settings(_ wireProtocol: WireProtocol, tls: TLSSettings? = nil) -> CompareSettings {
        var load = LoadSettings()
        load.wireProtocol = wireProtocol
        load.tls = tls
        return CompareSettings(
            models: [], clients: [1], repetitions: 1, load: load,
            serverArguments: tls?.serveArguments ?? [], pin: false)
    }

    @Test(arguments: [WireProtocol.greeting, .request])
    func refserverServesTheProtocolsItSpeaks(wireProtocol: WireProtocol) {
        let (server, reason) = FixedServer.choose(
            reference: Self.refserver, settings: Self.settings(wireProtocol), current: "/this", against: "/bench")
        guard case .reference(let path) = server else {
            Issue.record("\(server.name): \(reason ?? "")")
            return
        }
        #expect(path == Self.refserver && reason == nil)
    }

    @Test(arguments: [WireProtocol.http, .echo, .multiplex])
    func theBlockingModelServesTheOthersAndTheCheckSaysWhy(wireProtocol: WireProtocol) {
        let (server, reason) = FixedServer.choose(
            reference: Self.refserver, settings: Self.settings(wireProtocol), current: "/this", against: "/bench")
        guard case .blocking("/bench", "the other build", []) = server else {
            Issue.record("\(server.name) serves \(wireProtocol)")
            return
        }
        #expect(reason == "refserver speaks the greeting and request protocols, not \(wireProtocol)")
    }

    @Test func aMissingRefserverIsSaidAndTheBlockingModelServes() {
        let (server, reason) = FixedServer.choose(
            reference: "/no/such/refserver", settings: Self.settings(.greeting), current: "/this", against: "/bench")
        guard case .blocking = server else {
            Issue.record("\(server.name) for a missing refserver")
            return
        }
        #expect(reason?.hasPrefix("/no/such/refserver is missing") == true, "\(reason ?? "no reason")")
    }

    /// Over TLS, which refserver does not speak, this tree's blocking model serves both drivers, started with the
    /// check's TLS server arguments: the other build may be older than TLS.
    @Test func overTLSThisTreesBlockingModelServesWithTLS() throws {
        let tls = TLSSettings(version: .v1_3)
        let settings = Self.settings(.greeting, tls: tls)
        let (server, reason) = FixedServer.choose(
            reference: Self.refserver, settings: settings, current: "/this", against: "/bench")
        guard case .blocking("/this", "this tree", let arguments) = server else {
            Issue.record("\(server.name) serves over TLS")
            return
        }
        #expect(arguments == ["--tls", "--tls-version", "1.3"] && reason == "refserver speaks no TLS")
        #expect(server.name == "blocking model of this tree")
    }

    /// refserver's listening line is the one `ServerProcess` reads, and it stops on SIGTERM with its counters.
    @Test func refserverStartsOnAPortTheKernelPicksAndStopsWithItsCounters() throws {
        let server = try FixedServer.reference(Self.refserver)
            .start(Self.settings(.request).load, lifetimeSeconds: 60, timeoutSeconds: 10)
        #expect(server.port > 0)
        let usage = server.stop(timeoutSeconds: 10)
        #expect(usage.exit.isClean, "\(usage.exit): \(usage.errorOutput)")
        #expect(usage.counters?.connections == 0, "\(usage.errorOutput)")
    }
}
