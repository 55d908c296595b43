import Driver
import Testing
import Wire

@testable import Compare

/// Which server `bench check`'s driver pairs drive, and the reason the check prints when it is not refserver.
struct FixedServerTests {
    static let refserver = BenchProcess.executable.deletingLastPathComponent().appendingPathComponent("refserver").path

    static func settings(_ wireProtocol: WireProtocol) -> LoadSettings {
        var settings = LoadSettings()
        settings.wireProtocol = wireProtocol
        return settings
    }

    @Test(arguments: [WireProtocol.greeting, .request])
    func refserverServesTheProtocolsItSpeaks(wireProtocol: WireProtocol) {
        let (server, reason) = FixedServer.choose(
            executable: Self.refserver, settings: Self.settings(wireProtocol), fallback: "/bench")
        guard case .reference(let path) = server else {
            Issue.record("\(server.name): \(reason ?? "")")
            return
        }
        #expect(path == Self.refserver && reason == nil)
    }

    @Test(arguments: [WireProtocol.http, .echo, .multiplex])
    func theBlockingModelServesTheOthersAndTheCheckSaysWhy(wireProtocol: WireProtocol) {
        let (server, reason) = FixedServer.choose(
            executable: Self.refserver, settings: Self.settings(wireProtocol), fallback: "/bench")
        guard case .blocking("/bench") = server else {
            Issue.record("\(server.name) serves \(wireProtocol)")
            return
        }
        #expect(reason == "refserver speaks the greeting and request protocols, not \(wireProtocol)")
    }

    @Test func aMissingRefserverIsSaidAndTheBlockingModelServes() {
        let (server, reason) = FixedServer.choose(
            executable: "/no/such/refserver", settings: Self.settings(.greeting), fallback: "/bench")
        guard case .blocking = server else {
            Issue.record("\(server.name) for a missing refserver")
            return
        }
        #expect(reason?.hasPrefix("/no/such/refserver is missing") == true, "\(reason ?? "no reason")")
    }

    /// refserver's listening line is the one `ServerProcess` reads, and it stops on SIGTERM with its counters.
    @Test func refserverStartsOnAPortTheKernelPicksAndStopsWithItsCounters() throws {
        let server = try FixedServer.reference(Self.refserver)
            .start(Self.settings(.request), lifetimeSeconds: 60, timeoutSeconds: 10)
        #expect(server.port > 0)
        let usage = server.stop(timeoutSeconds: 10)
        #expect(usage.exit.isClean, "\(usage.exit): \(usage.errorOutput)")
        #expect(usage.counters?.connections == 0, "\(usage.errorOutput)")
    }
}
