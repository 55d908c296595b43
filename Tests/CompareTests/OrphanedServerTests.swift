import Foundation
import SystemCalls
import Testing

/// No server outlives what started it, even when that is killed with SIGKILL and can stop nothing: a comparison's
/// server, and a prefork server's workers, each watch their parent (ParentWatch).
@Suite struct OrphanedServerTests {
    @Test func aComparisonKilledHardLeavesNoServerRunning() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orphan-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // prefork: the comparison's server and, below it, that server's workers.
        let run = try BenchProcess([
            "compare", "--clients", "2", "--models", "prefork", "--repeat", "1", "-d", "30s", "--warmup", "0s",
            "--out", directory,
        ])
        try await killOnceServing(run, servers: 3)  // the prefork server and its two workers (two cores or not)
        try await expectAllGone(run)
    }

    @Test func aPreforkServerKilledHardLeavesNoWorkerRunning() async throws {
        let port = try #require(SocketAddress.freeLoopbackPort())
        let run = try BenchProcess(["serve", "--model", "prefork", "--threads", "2", "--port", String(port)])
        // A client of our own, once it accepts.
        let deadline = ContinuousClock.now + .seconds(30)
        var served = false
        while !served && ContinuousClock.now < deadline {
            if let client = try? LoopbackSocket.connect(port: in_port_t(port).bigEndian) {
                close(client)
                served = true
            } else {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        try #require(served, "the server never accepted")
        while run.childServers().count < 2 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        try #require(run.childServers().count == 2, "workers: \(run.childServers().sorted())")
        run.killHard()
        try await expectAllGone(run)
    }

    /// Waits (at most 30 s) until `run` has `servers` servers below it and connections have reached them (the
    /// driver connects once it has read the listening line), then kills it with SIGKILL. (Killed sooner, a server
    /// dies of SIGPIPE writing its listening line, which would prove nothing of what happens to one that serves.)
    private func killOnceServing(_ run: BenchProcess, servers: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        var below: Set<Int32> = []
        var served = false
        // Seen once is enough: a connection's entry may be gone by a second look (a full time-wait table drops it).
        while !served && ContinuousClock.now < deadline {
            below = run.childServers()
            served = below.count >= servers && below.compactMap(Self.port(of:)).contains(where: Self.hasConnections)
            if !served { try await Task.sleep(for: .milliseconds(20)) }
        }
        try #require(below.count >= servers, "the servers never all started")
        try #require(served, "no connection was served")
        run.killHard()
    }

    /// The port a prefork worker was given (`--port N` on its command line, with the listening socket).
    private static func port(of pid: Int32) -> Int? {
        let words = BenchProcess.commandLine(of: pid)
        guard words.contains("--listen-fd"), let flag = words.firstIndex(of: "--port"), flag + 1 < words.count else {
            return nil
        }
        return Int(words[flag + 1])
    }

    /// Whether a TCP socket on local port `port` is in a state other than listening (/proc/net/tcp: the local
    /// address is the second field, `ADDR:PORT` in hex; the state the fourth, 0A for listening).
    private static func hasConnections(_ port: Int) -> Bool {
        let table = (try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8)) ?? ""
        let local = String(format: ":%04X", port)
        return table.split(separator: "\n").dropFirst().contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 3 && fields[1].hasSuffix(local) && fields[3] != "0A"
        }
    }

    /// Every server seen below `run` ends within 5 s (a parent watch polls every 0.2 s, a drain takes up to 2 s).
    private func expectAllGone(_ run: BenchProcess) async throws {
        let (status, _, _) = try await run.finish(within: 10)
        #expect(status == -1, "the process was not killed")
        let deadline = ContinuousClock.now + .seconds(5)
        while !run.serversLeftRunning.isEmpty && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(run.serversLeftRunning.isEmpty, "left running: \(run.serversLeftRunning.sorted())")
    }
}
