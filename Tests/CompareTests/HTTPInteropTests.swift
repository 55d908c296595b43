import Foundation
import Servers
import SystemCalls
import Testing

@testable import Compare

/// The load tools people trust against our HTTP servers, and our driver against nginx: each test needs its tool
/// and skips, saying which, where it is missing (`.ci/run` installs wrk, apache2-utils, nghttp2-client and
/// nginx-light).
@Suite(.serialized, .timeLimit(.minutes(3)))
struct HTTPInteropTests {
    /// Whether `tool` is in PATH, where the tests start it from.
    static func installed(_ tool: String) -> Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)")
        }
    }

    /// `bench serve --model MODEL --protocol PROTOCOL OPTIONS...` on a free port, for the length of `body`; returns the
    /// server's own counters once it has stopped.
    static func withServer(
        _ model: ServerModel, protocol wireProtocol: String = "http", options: [String] = [],
        _ body: (Int) async throws -> Void
    ) async throws -> ServerCounters? {
        if let reason = model.unavailable { try Test.cancel("\(model) is unavailable here: \(reason)") }
        let server = try ServerProcess(
            executable: BenchProcess.executable.path,
            arguments: ["serve", "--model", model.rawValue, "--protocol", wireProtocol, "--port", "0"] + options,
            timeoutSeconds: 10)
        do {
            try await body(server.port)
        } catch {
            server.stop(timeoutSeconds: 5)
            throw error
        }
        let usage = server.stop(timeoutSeconds: 5)
        #expect(usage.exit.isClean, "\(usage.errorOutput)")
        return usage.counters
    }

    /// Runs a tool to its end (at most `seconds`) and returns what it printed on stdout and stderr; on a thread of its
    /// own, so that the wait holds none of Swift's few cooperative threads.
    static func run(_ tool: String, _ arguments: [String], seconds: Double = 60) async -> String {
        await PosixThread.offload("test-\(tool)") {
            guard let child = try? ChildProcess(tool, arguments, stdout: .pipe, stderr: .pipe, searchPath: true) else {
                return "cannot start \(tool)"
            }
            let (output, _) = child.readOutput(timeoutSeconds: seconds, limit: 1 << 20)
            child.wait(timeoutSeconds: 5)
            return String(decoding: output, as: UTF8.self)
        }
    }

    /// The first number after `label` in `text` (`Complete requests:      1000`).
    static func number(after label: String, in text: String) -> Int? {
        guard let range = text.range(of: label) else { return nil }
        let digits = text[range.upperBound...].drop { !$0.isNumber }.prefix { $0.isNumber }
        return Int(digits)
    }

    /// Connections each tool opens: `most` (10), or as many as the model serves at once when that is fewer (the
    /// blocking model serves one connection at a time to its end, and a second keep-alive client would wait out the
    /// first's idle timeout in the listen queue).
    static func connections(_ model: ServerModel, atMost most: Int = 10) -> String {
        String(min(most, model.traits.concurrentConnections(model.defaultThreads) ?? most))
    }

    @Test(.enabled(if: installed("wrk"), "wrk is not installed (apt-get install -y wrk)"), arguments: ServerModel.allCases)
    func wrkSeesNoErrorsAndTheServerAnsweredEveryRequest(model: ServerModel) async throws {
        var output = ""
        let counters = try await Self.withServer(model) { port in
            output = await Self.run(
                "wrk", ["-t1", "-c" + Self.connections(model), "-d1s", "http://127.0.0.1:\(port)/bytes/16"])
        }
        let requests = try #require(Self.wrkRequests(output), "\(output)")
        #expect(requests > 100, "\(output)")
        #expect(!output.contains("Socket errors"), "\(output)")
        #expect(!output.contains("Non-2xx"), "\(output)")
        // wrk stops with up to one request per connection in flight, which the server may have answered.
        let answered = try #require(counters?.requests)
        #expect((requests...(requests + 10)).contains(answered), "wrk \(requests), server \(answered)")
        #expect(counters?.protocolErrors == 0)
    }

    /// wrk's `N requests in T, B read` line.
    static func wrkRequests(_ output: String) -> Int? {
        output.split(separator: "\n").first { $0.contains(" requests in ") }
            .flatMap { Int($0.split(separator: " ").first ?? "") }
    }

    @Test(.enabled(if: installed("ab"), "ab is not installed (apt-get install -y apache2-utils)"), arguments: ServerModel.allCases)
    func abWithKeepAliveCompletesEveryRequest(model: ServerModel) async throws {
        var output = ""
        let counters = try await Self.withServer(model) { port in
            output = await Self.run(
                "ab", ["-k", "-q", "-n", "2000", "-c", Self.connections(model), "http://127.0.0.1:\(port)/bytes/16"])
        }
        #expect(Self.number(after: "Complete requests:", in: output) == 2000, "\(output)")
        #expect(Self.number(after: "Failed requests:", in: output) == 0, "\(output)")
        #expect(Self.number(after: "Keep-Alive requests:", in: output) == 2000, "ab -k kept every connection: \(output)")
        #expect(!output.contains("Non-2xx"), "\(output)")
        #expect(counters?.requests == 2000)
    }

    @Test(.enabled(if: installed("h2load"), "h2load is not installed (apt-get install -y nghttp2-client)"),
          arguments: ServerModel.allCases)
    func h2loadOverHTTP11SucceedsEveryRequest(model: ServerModel) async throws {
        var output = ""
        let counters = try await Self.withServer(model) { port in
            output = await Self.run(
                "h2load", ["--h1", "-n", "2000", "-c", Self.connections(model), "http://127.0.0.1:\(port)/bytes/16"])
        }
        #expect(output.contains("2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored"), "\(output)")
        #expect(output.contains("status codes: 2000 2xx"), "\(output)")
        #expect(counters?.requests == 2000)
    }

    @Test(.enabled(if: installed("nginx"), "nginx is not installed (apt-get install -y nginx-light)"))
    func ourDriverAgainstNginxSeesNoFailures() async throws {
        let nginx = try NginxServer()
        defer { nginx.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nginx-\(UUID().uuidString)").path
        let (status, stdout, stderr) = try await BenchProcess([
            "drive", "--protocol", "http", "--port", String(nginx.port), "--size", "16", "--requests", "50",
            "--clients", "10", "-d", "1s", "--warmup", "200ms", "--quiet", "--out", directory,
        ]).finish(within: 60)
        #expect(status == 0, "\(stderr)")
        let row = try #require(try CSVReader.parse(String(contentsOfFile: directory + "/summary.csv", encoding: .utf8))
            .records.first)
        #expect(Int(row["requests"]!)! > 100, "\(stdout)")
        #expect(row["failures_server"] == "0" && row["failures_local"] == "0", "\(stdout)")
    }
}
