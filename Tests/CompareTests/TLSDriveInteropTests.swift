import Driver
import Foundation
import SystemCalls
import TLS
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `bench drive --tls` against TLS servers that are not ours: nginx with `ssl` (resumption included) and `openssl
/// s_server`, so that the driver's TLS is not only checked against the engine it shares with our servers.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct TLSDriveInteropTests {
    private static func load(port: Int, path: String, connections: Int, clients: Int) -> LoadSettings {
        var settings = LoadSettings()
        settings.port = port
        settings.wireProtocol = .http
        settings.path = path
        (settings.threads, settings.clients, settings.connections) = (1, clients, connections)
        settings.requestsPerConnection = 1
        (settings.connectTimeoutMicros, settings.timeoutMicros) = (10_000_000, 10_000_000)
        settings.tls = TLSSettings(resume: true)
        return settings
    }

    @Test(.enabled(if: HTTPInteropTests.installed("nginx"), "nginx is not installed (apt-get install -y nginx-light)"))
    func nginxWithSSLServesAndResumesTheDriversClients() async throws {
        let nginx = try NginxServer(tls: true)
        defer { nginx.stop() }
        var settings = Self.load(port: nginx.port, path: "/bytes/16", connections: 200, clients: 4)
        settings.checksLength = true
        let result = await LoadRun.run(settings)
        #expect(result.counters.failures.total == 0, "\(SummaryReport.render(result))")
        #expect(result.counters.requests == 200)
        let tls = try #require(result.metrics.tls)
        // nginx issues session tickets by default: every connection after each client's first resumes.
        #expect(tls.fullHandshakes == 4 && tls.resumedHandshakes == 196, "\(SummaryReport.render(result))")
        #expect(tls.keyType == "EC P-256")
    }

    @Test(.enabled(if: HTTPInteropTests.installed("openssl"), "openssl is not installed (apt-get install -y openssl)"))
    func opensslSServerAnswersEveryConnection() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sserver-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let certificate = try SelfSignedCertificate()
        try certificate.certificatePEM.write(toFile: directory + "/cert.pem", atomically: true, encoding: .utf8)
        try certificate.keyPEM.write(toFile: directory + "/key.pem", atomically: true, encoding: .utf8)
        let port = try #require(SocketAddress.freeLoopbackPort())
        // -www: a status page for every GET, framed by the end of the stream (HTTP/1.0), one connection at a time.
        let server = try ChildProcess(
            "openssl",
            ["s_server", "-accept", "127.0.0.1:\(port)", "-cert", directory + "/cert.pem", "-key", directory + "/key.pem",
             "-www", "-quiet"],
            stdout: .discard, stderr: .discard, searchPath: true)
        defer { server.stop(timeoutSeconds: 2) }
        let deadline = ContinuousClock.now + .seconds(10)
        while !NginxServer.accepts(port) {
            guard ContinuousClock.now < deadline, !server.hasExited else { throw NginxServer.StartError(description: "openssl s_server did not start") }
            usleep(10_000)
        }
        var settings = Self.load(port: port, path: "/", connections: 40, clients: 1)
        settings.checksLength = false
        let result = await LoadRun.run(settings)
        #expect(result.counters.failures.total == 0, "\(SummaryReport.render(result))")
        #expect(result.counters.requests == 40)
        #expect(result.metrics.tls?.version == "TLSv1.3")
    }
}
