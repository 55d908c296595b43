import Foundation
import Servers
import SystemCalls
import Testing

@testable import Compare

/// SIGTERM (as `timeout` and CI runners stop a command) and SIGHUP (a closed terminal) to every command that has
/// children: each stops as Ctrl-C stops it, leaving whole files and nothing running below it; and to `bench serve`
/// however soon it comes. (bench compare's signals are in ``CompareCommandTests``.)
@Suite(.serialized, .timeLimit(.minutes(2)))
struct StopSignalTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stop-\(UUID().uuidString)").path

    @Test func sigtermStopsAKneeSearchWithItsStepsWritten() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try BenchProcess([
            "knee", "--models", "epoll", "--clients", "4", "--threads", "1", "--start-rate", "200", "-d", "300ms",
            "--warmup", "0s", "--max-window", "300ms", "--out", directory,
        ])
        // Stopped once a step is on disk and a server runs for the next. The search takes seconds (1.4-6 s in a debug
        // build), so the polls and the signal come from a thread of their own: on Swift's cooperative threads, held
        // by the suites' blocking tests, a poll has missed all of it, and a signal sent after leaving the executor
        // has come after the search's end (exit 0).
        let executor = QueueExecutor("test-knee-poll")
        let stepped = await withTaskExecutorPreference(executor) { [directory] in
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                let steps = (try? CSVReader.parse(String(contentsOfFile: directory + "/knee.csv", encoding: .utf8)))
                if (steps?.records.count ?? 0) >= 1 && !run.childServers().isEmpty {
                    run.send(SIGTERM)
                    return true
                }
                await executor.sleep(until: .now + .milliseconds(20))
            }
            run.send(SIGTERM)
            return false
        }
        let (status, _, stderr) = try await run.finish(within: 30)
        try #require(stepped, "no step was written while a server ran; the search said: \(stderr)")
        #expect(status == 143, "stderr: \(stderr)")
        try expectWholeFiles(in: directory)
        try await expectNothingLeftRunning(run)
    }

    @Test func sigtermStopsASoakWithItsSamplesWrittenAndNoChildLeft() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try BenchProcess([
            "soak", "--models", "prefork", "--rate", "200", "--clients", "4", "--threads", "1", "-d", "60s",
            "--sample", "100ms", "--out", directory,
        ])
        // Stopped once samples are on disk (every 10 s) and the server, its workers and the driver run.
        let deadline = ContinuousClock.now + .seconds(40)
        var sampled = false
        while !sampled && ContinuousClock.now < deadline {
            let samples = (try? CSVReader.parse(String(contentsOfFile: directory + "/samples.csv", encoding: .utf8)))
            sampled = (samples?.records.count ?? 0) >= 2 && !run.childServers().isEmpty
            if !sampled { try await Task.sleep(for: .milliseconds(50)) }
        }
        try #require(sampled, "no sample was written while a server ran")
        run.send(SIGTERM)
        let (status, _, stderr) = try await run.finish(within: 30)
        #expect(status == 143, "stderr: \(stderr)")
        try expectWholeFiles(in: directory)
        try await expectNothingLeftRunning(run)
    }

    /// The build of the other revision, which the check starts in a process group of its own, is stopped too, and
    /// so is a job of that build in a session of its own (as a build's compiler jobs may be): a stand-in `swift` on
    /// PATH plays the build, so the test needs no toolchain run.
    @Test func sigtermStopsTheBuildOfTheOtherRevision() async throws {
        let repository = directory + "/repository"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fakeTools = directory + "/bin"
        try FileManager.default.createDirectory(atPath: fakeTools, withIntermediateDirectories: true)
        try """
            #!/bin/sh
            setsid sleep 3001 &
            wait

            """.write(toFile: fakeTools + "/swift", atomically: true, encoding: .utf8)
        chmod(fakeTools + "/swift", 0o755)
        try FileManager.default.createDirectory(atPath: repository, withIntermediateDirectories: true)
        try "a revision to build\n".write(toFile: repository + "/README", atomically: true, encoding: .utf8)
        for command in [
            ["init", "-q"], ["add", "README"],
            ["-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "-m", "one revision"],
        ] {
            let failure = CommandOutput.failure(of: ["git", "-C", repository] + command, timeoutSeconds: 30)
            try #require(failure == nil, "git \(command): \(failure ?? "")")
        }
        let baseline = directory + "/baseline.csv"
        try SummaryFixture(models: ["blocking"], repetitions: 5).csv()
            .write(toFile: baseline, atomically: true, encoding: .utf8)
        let path = fakeTools + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let run = try BenchProcess(
            ["check", "--baseline", baseline, "--against", "HEAD", "--models", "blocking", "--out", directory + "/out"],
            environment: ["PATH=" + path], workingDirectory: repository)
        let deadline = ContinuousClock.now + .seconds(30)
        var building = false
        while !building && ContinuousClock.now < deadline {
            building = run.descendants().contains { BenchProcess.commandLine(of: $0.pid) == ["sleep", "3001"] }
            if !building { try await Task.sleep(for: .milliseconds(20)) }
        }
        try #require(building, "the stand-in build never started")
        run.send(SIGTERM)
        let (status, _, stderr) = try await run.finish(within: 30)
        #expect(status == 143, "stderr: \(stderr)")
        #expect(stderr.contains("interrupted while building"), "\(stderr)")
        let against = repository + "/.build/against"
        let builds = (try? FileManager.default.contentsOfDirectory(atPath: against)) ?? []
        let cached = builds.filter { FileManager.default.fileExists(atPath: "\(against)/\($0)/bench") }
        #expect(cached.isEmpty, "a build cut short passes for a cached one")
        try await expectNothingLeftRunning(run)
    }

    /// The prefork server stops its workers on every stop signal, as on SIGTERM, and prints its counters.
    @Test(arguments: [SIGTERM, SIGHUP])
    func aPreforkServerStopsItsWorkers(on signal: Int32) async throws {
        let port = try #require(SocketAddress.freeLoopbackPort())
        let run = try BenchProcess(["serve", "--model", "prefork", "--threads", "2", "--port", String(port)])
        let deadline = ContinuousClock.now + .seconds(30)
        while run.childServers().count < 2 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        try #require(run.childServers().count == 2, "workers: \(run.childServers().sorted())")
        run.send(signal)
        let (status, _, stderr) = try await run.finish(within: 30)
        #expect(status == 0, "stderr: \(stderr)")
        #expect(stderr.contains("connections="), "no counters line: \(stderr)")
        try await expectNothingLeftRunning(run)
    }

    /// A server signalled the moment it says `listening` stops, every time: the signal is watched for before the
    /// line is written (Dispatch opens a source's signalfd later, on a thread of its own, and a signal that came
    /// before was lost: the server ran on). A race, so five tries a model: without the wait, 5 of the 40 ran on.
    @Test(arguments: ServerModel.allCases)
    func aServerStoppedTheMomentItListensStops(model: ServerModel) throws {
        if let reason = model.unavailable { try Test.cancel("\(model) is unavailable here: \(reason)") }
        for attempt in 1...5 {
            let serve = try ChildProcess(
                BenchProcess.executable.path, ["serve", "--model", model.rawValue, "--port", "0"], stdout: .pipe,
                stderr: .discard)
            let line = serve.readFirstLine(timeoutSeconds: 30).line ?? ""
            let exit = serve.stop(signal: SIGTERM, timeoutSeconds: 10).exit
            #expect(line.hasPrefix("listening "), "attempt \(attempt): \(line)")
            #expect(exit == .status(0), "attempt \(attempt): \(exit)")
        }
    }

    /// Nothing seen below `run` (each test has seen its children before the signal) still runs, within 5 s of its
    /// exit: a killed process takes a moment to end.
    private func expectNothingLeftRunning(_ run: BenchProcess) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while !run.descendantsLeftRunning.isEmpty && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(run.descendantsLeftRunning.isEmpty, "left running: \(run.descendantsLeftRunning)")
    }
}
