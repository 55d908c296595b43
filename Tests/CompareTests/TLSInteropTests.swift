import Foundation
import Servers
import Testing

@testable import Compare

/// The TLS clients people trust against `bench serve --tls`, on every model: curl, openssl s_client, wrk and h2load
/// over https (ALPN http/1.1), and s_client resuming a session. Each test needs its tool and skips, saying which,
/// where it is missing, as ``HTTPInteropTests`` do (whose helpers these use). Every client here is honest: the server
/// must count a handshake for each connection and no TLS failure.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct TLSInteropTests {
    typealias Interop = HTTPInteropTests

    /// What a test adds to `bench serve` (a certificate made at start, which no client here checks).
    static let tls = ["--tls"]

    @Test(.enabled(if: Interop.installed("curl"), "curl is not installed (apt-get install -y curl)"),
          arguments: ServerModel.allCases)
    func curlFetchesBytesAndTheGreetingOverHTTPS(model: ServerModel) async throws {
        var output = ""
        let counters = try await Self.serving(model) { port in
            // Both URLs in one curl, one line each: the second goes over the first's kept-alive connection. 100000
            // bytes take seven records; curl offers h2 and http/1.1 by ALPN, and the server must pick http/1.1.
            output = await Interop.run(
                "curl", [
                    "--insecure", "-sS", "-w", "%{http_code} %{size_download} %{http_version}\\n",
                    "-o", "/dev/null", "https://127.0.0.1:\(port)/bytes/100000",
                    "-o", "/dev/null", "https://127.0.0.1:\(port)/",
                ], seconds: 10)
        }
        #expect(output == "200 100000 1.1\n200 81 1.1\n", "\(output)")
        #expect(counters?.tlsHandshakes == 1)
        #expect(counters?.requests == 2)
    }

    @Test(.enabled(if: Interop.installed("openssl"), "openssl is not installed (apt-get install -y openssl)"),
          arguments: ServerModel.allCases)
    func opensslNegotiatesHTTP11ByALPNOverTLS13And12(model: ServerModel) async throws {
        var outputs: [String: String] = [:]
        let counters = try await Self.serving(model) { port in
            // Standard input is /dev/null: s_client shakes hands, prints the session, sends close_notify and exits.
            for version in ["-tls1_3", "-tls1_2"] {
                outputs[version] = await Interop.run(
                    "openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-alpn", "http/1.1", version], seconds: 10)
            }
        }
        for (version, name) in [("-tls1_3", "TLSv1.3"), ("-tls1_2", "TLSv1.2")] {
            let output = outputs[version] ?? ""
            #expect(output.contains("New, \(name), Cipher is "), "\(output)")
            #expect(output.contains("ALPN protocol: http/1.1"), "\(output)")
        }
        #expect(counters?.tlsHandshakes == 2)
    }

    @Test(.enabled(if: Interop.installed("wrk"), "wrk is not installed (apt-get install -y wrk)"),
          arguments: ServerModel.allCases)
    func wrkOverHTTPSSeesNoErrors(model: ServerModel) async throws {
        var output = ""
        let connections = Interop.connections(model, atMost: 4)
        let counters = try await Self.serving(model) { port in
            output = await Interop.run("wrk", ["-t1", "-c" + connections, "-d1s", "https://127.0.0.1:\(port)/bytes/16"])
        }
        let requests = try #require(Interop.wrkRequests(output), "\(output)")
        #expect(requests > 50, "\(output)")
        #expect(!output.contains("Socket errors"), "\(output)")
        #expect(!output.contains("Non-2xx"), "\(output)")
        // wrk stops with up to one request per connection in flight, which the server may have answered.
        let answered = try #require(counters?.requests)
        #expect((requests...(requests + Int(connections)!)).contains(answered), "wrk \(requests), server \(answered)")
        #expect((counters?.tlsHandshakes ?? 0) >= Int(connections)!)
    }

    @Test(.enabled(if: Interop.installed("h2load"), "h2load is not installed (apt-get install -y nghttp2-client)"),
          arguments: ServerModel.allCases)
    func h2loadOverTLSWithALPNHTTP11SucceedsEveryRequest(model: ServerModel) async throws {
        var output = ""
        let connections = Interop.connections(model, atMost: 4)
        let counters = try await Self.serving(model) { port in
            // ALPN http/1.1 (--npn-list, which h2load 1.52 sends by ALPN too; --h1 would also force HTTP/1.1 on
            // whatever was agreed). Where the server selects nothing, h2load says so and falls back to HTTP/1.1.
            output = await Interop.run(
                "h2load", ["--npn-list=http/1.1", "-n", "400", "-c", connections, "https://127.0.0.1:\(port)/bytes/16"])
        }
        #expect(output.contains("Application protocol: http/1.1"), "\(output)")
        #expect(!output.contains("No protocol negotiated"), "the server selected no ALPN protocol: \(output)")
        #expect(output.contains("400 total, 400 started, 400 done, 400 succeeded, 0 failed, 0 errored"), "\(output)")
        #expect(output.contains("status codes: 400 2xx"), "\(output)")
        #expect(counters?.requests == 400)
        #expect(counters?.tlsHandshakes == Int(connections))
    }

    @Test(.enabled(if: Interop.installed("openssl"), "openssl is not installed (apt-get install -y openssl)"),
          arguments: ServerModel.allCases)
    func opensslResumesTheSessionOfAnEarlierConnection(model: ServerModel) async throws {
        let sessionFile = FileManager.default.temporaryDirectory.appendingPathComponent("tls-session-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: sessionFile) }
        var outputs: [(version: String, first: String, again: [String])] = []
        // The greeting protocol: its server closes after the frame, so that s_client (-ign_eof) reads to the end and
        // has the TLS 1.3 ticket, which comes after the handshake, before it saves the session; an HTTP server would
        // keep the connection open until its idle timeout.
        let counters = try await Self.serving(model, protocol: "greeting") { port in
            for version in ["TLSv1.3", "TLSv1.2"] {
                let arguments = [
                    "s_client", "-connect", "127.0.0.1:\(port)", "-ign_eof",
                    version == "TLSv1.3" ? "-tls1_3" : "-tls1_2",
                ]
                let first = await Interop.run("openssl", arguments + ["-sess_out", sessionFile], seconds: 10)
                // Twice: prefork's workers take turns at the shared socket, and each must resume the other's sessions.
                var again: [String] = []
                for _ in 0..<2 {
                    again.append(await Interop.run("openssl", arguments + ["-sess_in", sessionFile], seconds: 10))
                }
                outputs.append((version, first, again))
            }
        }
        for (version, first, again) in outputs {
            #expect(first.contains("New, \(version), Cipher is "), "\(first)")
            for output in again {
                #expect(output.contains("Reused, \(version), Cipher is "), "\(output)")
            }
        }
        #expect(counters?.tlsHandshakes == 6)
        #expect(counters?.tlsResumed == 4)
    }

    /// ``HTTPInteropTests/withServer`` with `--tls`, and the counters every honest client leaves: a handshake, and no
    /// TLS failure.
    static func serving(
        _ model: ServerModel, protocol wireProtocol: String = "http", _ body: (Int) async throws -> Void
    ) async throws -> ServerCounters? {
        let counters = try await Interop.withServer(model, protocol: wireProtocol, options: tls, body)
        #expect((counters?.tlsHandshakes ?? 0) > 0, "\(String(describing: counters))")
        #expect(counters?.tlsFailures == 0, "\(String(describing: counters))")
        return counters
    }
}
