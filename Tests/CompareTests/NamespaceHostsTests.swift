import Foundation
import Metrics
import SystemCalls
import Testing

/// Whether this process may make network namespaces (root, iproute2, and a kernel that lets it), and Python's hdrh is
/// there to check the merge against: asked once, by making one and removing it.
private let namespacesCanBeMade: Bool = {
    guard getuid() == 0, pythonHasHdrh,
        let made = try? ChildProcess("ip", ["netns", "add", "bench-probe-\(getpid())"], stdout: .discard,
            stderr: .discard, searchPath: true), made.wait(timeoutSeconds: 10).exit.isClean
    else { return false }
    _ = try? ChildProcess("ip", ["netns", "del", "bench-probe-\(getpid())"], stdout: .discard, stderr: .discard,
        searchPath: true).wait(timeoutSeconds: 10)
    return true
}()

/// `Benchmarks/Hosts/namespaces.sh`: a server and two `--share`d workers in network namespaces of their own, with
/// addresses from 198.18.0.0/15 and no route out; the script checks the merge against the server's counters and
/// against Python's hdrh, and removes every namespace it made.
@Suite(.serialized, .timeLimit(.minutes(3)), .enabled(if: namespacesCanBeMade,
    "needs root, iproute2 with network namespaces, and python3 with hdrh (pip install hdrhistogram)"))
struct NamespaceHostsTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Benchmarks/Hosts/namespaces.sh").path

    static func namespaces() async -> [String] {
        await HTTPInteropTests.run("ip", ["netns", "list"]).split(separator: "\n").map { String($0.prefix { $0 != " " }) }
    }

    @Test func twoHostsMergeToTheServersCountsAndPythonsP99() async throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("hosts-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let before = Set(await Self.namespaces())
        let output = await HTTPInteropTests.run(
            "env", ["BENCH=\(BenchProcess.executable.path)", Self.script, "2", out, "2000"], seconds: 150)
        for check in ["requests: merged = server: 20000 == 20000", "connections: merged = server: 2000 == 2000",
                      "p99 us: merged = hdrh over the workers' logs", "p99 us: merged log = workers' logs (hdrh)"] {
            #expect(output.contains("ok   " + check), "\(output)")
        }
        #expect(!output.contains("FAIL"), "\(output)")
        let shares = try ["1", "2"].map {
            try IntervalLog.parse(String(contentsOfFile: out + "/\($0)/latency.hlog", encoding: .utf8))
                .histogram(tag: "total").count
        }
        #expect(shares.reduce(0, +) == 20_000 && shares.allSatisfy { $0 == 10_000 }, "each worker its half: \(shares)")
        #expect(Set(await Self.namespaces()) == before, "every namespace it made is gone")
    }
}
