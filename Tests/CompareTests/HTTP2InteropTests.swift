import Foundation
import Servers
import Testing

@testable import Compare

/// HTTP/2 (h2c, prior knowledge) both ways: the tools people trust against every model's `--protocol h2`, and our
/// driver's `--protocol h2` against nghttp2's own server and nginx. Each test skips, saying which tool, where it is
/// missing (`.ci/run` installs nghttp2-client, nghttp2-server, curl and nginx-light).
@Suite(.serialized, .timeLimit(.minutes(3)))
struct HTTP2InteropTests {
    @Test(.enabled(if: HTTPInteropTests.installed("h2load"), "h2load is not installed (apt-get install -y nghttp2-client)"),
          arguments: ServerModel.allCases)
    func h2loadWithTenStreamsPerConnectionSucceedsEveryRequest(model: ServerModel) async throws {
        var output = ""
        let counters = try await HTTPInteropTests.withServer(model, protocol: "h2") { port in
            output = await HTTPInteropTests.run("h2load", [
                "-n", "1000", "-c", HTTPInteropTests.connections(model), "-m", "10",
                "http://127.0.0.1:\(port)/bytes/16",
            ])
        }
        #expect(output.contains("1000 total, 1000 started, 1000 done, 1000 succeeded, 0 failed, 0 errored"), "\(output)")
        #expect(output.contains("status codes: 1000 2xx"), "\(output)")
        #expect(output.contains("(16000) data"), "every body whole: \(output)")
        #expect(counters?.requests == 1000)
        #expect(counters?.protocolErrors == 0)
    }

    @Test(.enabled(if: HTTPInteropTests.installed("curl"), "curl is not installed (apt-get install -y curl)"),
          arguments: ServerModel.allCases)
    func curlWithPriorKnowledgeGetsWholeAnswers(model: ServerModel) async throws {
        var answers: [String] = []
        let counters = try await HTTPInteropTests.withServer(model, protocol: "h2") { port in
            // A connection each: curl 7.88 fails a second transfer on an h2c connection, whoever the server (nginx
            // and nghttpd alike). Past a 64 KiB window, the greeting, a refusal.
            for path in ["/bytes/70000", "/", "/nope"] {
                answers.append(await HTTPInteropTests.run("curl", [
                    "-sS", "--http2-prior-knowledge", "-o", "/dev/null", "-w",
                    "%{http_version} %{response_code} %{size_download}", "http://127.0.0.1:\(port)\(path)",
                ]))
            }
        }
        #expect(answers == ["2 200 70000", "2 200 81", "2 404 10"])
        #expect(counters?.requests == 3)
        #expect(counters?.protocolErrors == 1, "the 404")
    }

    /// `--streams` is h2's, `--pipeline` the others'; the server's `--max-streams` takes what a SETTINGS value may.
    @Test(arguments: [
        (["drive", "--protocol", "http", "--streams", "4"], "--streams applies to --protocol h2; the others take --pipeline"),
        (["drive", "--protocol", "h2", "--streams", "4", "--pipeline", "2"], "give --streams or --pipeline, not both"),
        (["drive", "--protocol", "h2", "--streams", "10"], "--streams (10) cannot exceed --requests (1)"),
        (["serve", "--protocol", "h2", "--max-streams", "0"], "--max-streams must be within 1...2147483647"),
    ])
    func wrongUsageExits2WithTheFix(arguments: [String], message: String) async throws {
        let (status, _, stderr) = try await BenchProcess(arguments).finish(within: 20)
        #expect(status == 2 && stderr.contains(message), "\(arguments): \(stderr)")
    }

    /// `bench drive --protocol h2` against the server on `port`, 10 clients of `requests` requests, 10 streams each;
    /// its summary row.
    private func drive(port: Int, requests: String = "50") async throws -> (row: [String: String], stdout: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("h2-\(UUID().uuidString)").path
        let (status, stdout, stderr) = try await BenchProcess([
            "drive", "--protocol", "h2", "--port", String(port), "--size", "16", "--requests", requests,
            "--streams", "10", "--clients", "10", "-d", "1s", "--warmup", "200ms", "--quiet", "--out", directory,
        ]).finish(within: 60)
        #expect(status == 0, "\(stderr)")
        let row = try #require(try CSVReader.parse(String(contentsOfFile: directory + "/summary.csv", encoding: .utf8))
            .records.first)
        return (row, stdout)
    }

    @Test(.enabled(
        if: HTTPInteropTests.installed("nghttpd"), "nghttpd is not installed (apt-get install -y nghttp2-server)"))
    func ourDriverAgainstNghttpdSeesNoFailures() async throws {
        let nghttpd = try NghttpdServer()
        defer { nghttpd.stop() }
        let (row, stdout) = try await drive(port: nghttpd.port)
        #expect(Int(row["requests"]!)! > 100, "\(stdout)")
        #expect(Int(row["conns_completed"]!)! > 2, "connections closed by the client once answered: \(stdout)")
        #expect(row["failures_server"] == "0" && row["failures_local"] == "0", "\(stdout)")
    }

    @Test(.enabled(if: HTTPInteropTests.installed("nginx"), "nginx is not installed (apt-get install -y nginx-light)"))
    func ourDriverAgainstNginxOverHTTP2SeesNoFailures() async throws {
        let nginx = try NginxServer(http2: true)
        defer { nginx.stop() }
        let (row, stdout) = try await drive(port: nginx.port)
        #expect(Int(row["requests"]!)! > 100, "\(stdout)")
        #expect(Int(row["conns_completed"]!)! > 2, "connections closed by the client once answered: \(stdout)")
        #expect(row["failures_server"] == "0" && row["failures_local"] == "0", "\(stdout)")
        // Connections kept: nginx says GOAWAY after 100 requests on each, with streams of ours in flight past it.
        let (kept, keptOutput) = try await drive(port: nginx.port, requests: "unlimited")
        #expect(Int(kept["requests"]!)! > 200 && Int(kept["conns_completed"]!)! >= 2, "\(keptOutput)")
        #expect(kept["failures_server"] == "0" && kept["failures_local"] == "0", "\(keptOutput)")
    }
}
