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

    /// Waits (at most 30 s) until `run` has `servers` servers below it and its driver has been driving them (it
    /// connects once it has read the listening line), then kills it with SIGKILL. (Killed sooner, a server dies of
    /// SIGPIPE writing its listening line, which would prove nothing of what happens to one that serves.)
    private func killOnceServing(_ run: BenchProcess, servers: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        var below: Set<Int32> = []
        var driving = false
        while !driving && ContinuousClock.now < deadline {
            below = run.childServers()
            driving = below.count >= servers && Self.isDriving(run.pid)
            if !driving { try await Task.sleep(for: .milliseconds(20)) }
        }
        try #require(below.count >= servers, "the servers never all started")
        try #require(driving, "the driver never drove the server")
        run.killHard()
    }

    /// Whether a `drv-worker-` thread of `pid` has run for 50 ms of CPU: the driver's own threads, which start only
    /// once the server listens, each looping over its clients. (CPU in ticks of 10 ms. Connections themselves are no sign to look
    /// for: /proc/net/tcp of a machine whose time-wait table the other suites have filled takes long to read, and a
    /// greeting connection lives for microseconds.)
    private static func isDriving(_ pid: Int32) -> Bool {
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return threads.contains { thread in
            let task = "/proc/\(pid)/task/\(thread)"
            guard let name = try? String(contentsOfFile: task + "/comm", encoding: .utf8), name.hasPrefix("drv-worker-"),
                let ticks = ProcStat(path: task + "/stat")?.cpuTicks
            else { return false }
            return ticks >= 5
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
