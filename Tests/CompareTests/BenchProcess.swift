import Foundation
import SystemCalls

/// The `bench` executable of this build, run as a child process the way a person runs it: the compare tests
/// check the command line, its files and its table together.
struct BenchProcess {
    private let child: ChildProcess
    /// stderr goes to a file, read once the process has ended: one pipe (stdout) is read while it runs.
    private let errorsPath = FileManager.default.temporaryDirectory
        .appendingPathComponent("bench-stderr-\(UUID().uuidString)").path
    /// Every process below this one, and every `bench serve` among them, that a look at its children has seen.
    private let seen = Census()

    /// `bench` sits beside the test bundle in the build directory (`swift test` builds it too).
    static var executable: URL {
        let tests = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0])
        var directory = tests.deletingLastPathComponent()
        while directory.pathExtension == "xctest" || directory.lastPathComponent == "MacOS" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("bench")
    }

    /// `environment`: `NAME=value` entries added to this process's environment for the child; `workingDirectory`:
    /// where it starts (a checkout of its own for `bench check --against REV`).
    init(_ arguments: [String], environment: [String] = [], workingDirectory: String? = nil) throws {
        child = try ChildProcess(
            Self.executable.path, arguments, stdout: .pipe, stderr: .file(errorsPath),
            workingDirectory: workingDirectory, environment: environment)
    }

    var pid: Int32 { child.pid }

    /// SIGINT, as Ctrl-C at a terminal sends.
    func interrupt() {
        send(SIGINT)
    }

    /// `signal` to the process alone (SIGTERM, as `timeout` and CI runners stop a command).
    func send(_ signal: Int32) {
        kill(child.pid, signal)
    }

    /// SIGKILL: the process gets no chance to stop anything it started.
    func killHard() {
        kill(child.pid, SIGKILL)
    }

    /// Waits for the exit, at most `seconds` (then kills it), and returns status, stdout, stderr; a status of -1
    /// says it was killed by a signal.
    func finish(within seconds: Double) async throws -> (status: Int32, stdout: String, stderr: String) {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        // Read off the cooperative pool (one thread per core): a blocking read there would starve every other test.
        async let reading = Self.readOff(child, seconds: seconds)
        while !child.hasExited && ContinuousClock.now < deadline {
            descendants()
            try await Task.sleep(for: .milliseconds(20))
        }
        let output = await reading
        let usage = child.wait(timeoutSeconds: max(0, Double((deadline - ContinuousClock.now).components.seconds)))
        defer { try? FileManager.default.removeItem(atPath: errorsPath) }
        let errors = (try? String(contentsOfFile: errorsPath, encoding: .utf8)) ?? ""
        let status: Int32 = if case .status(let code) = usage.exit { code } else { -1 }
        return (status, String(decoding: output, as: UTF8.self), errors)
    }

    private static func readOff(_ child: ChildProcess, seconds: Double) async -> [UInt8] {
        await PosixThread.offload("test-read-output") { child.readOutput(timeoutSeconds: seconds, limit: 1 << 24).bytes }
    }

    /// The `bench serve` processes this process is running now, which are also remembered: its children, and theirs
    /// (a prefork server's workers).
    func childServers() -> Set<Int32> {
        Set(descendants().filter { Self.isBenchServe($0.pid) }.map(\.pid))
    }

    /// Every process below this one now (its children, theirs, ...), which are also remembered: once their parent
    /// dies they belong to another, and only the census still knows them as ours.
    @discardableResult
    func descendants() -> Set<ProcessTree.Member> {
        let found = ProcessTree.below(child.pid)
        let servers = found.filter { Self.isBenchServe($0.pid) }
        seen.members.withLock {
            $0.all.formUnion(found)
            $0.servers.formUnion(servers)
        }
        return found
    }

    /// How many servers the looks at this process's children have seen (so that none left running means something).
    var serversSeen: Int { seen.members.withLock { $0.servers.count } }

    /// The servers seen among this process's children that still run: after its exit, none should. (Children of
    /// other tests' processes, which run meanwhile, are not counted.)
    var serversLeftRunning: Set<Int32> {
        Set(seen.members.withLock { $0.servers }.filter(\.isRunning).map(\.pid))
    }

    /// Every process seen below this one that still runs, with its command line: after its exit, none should.
    var descendantsLeftRunning: [String] {
        seen.members.withLock { $0.all }.filter(\.isRunning)
            .map { "\($0.pid): " + Self.commandLine(of: $0.pid).joined(separator: " ") }
    }

    /// Whether `pid` is a `bench serve` of this build. (Compare starts servers by the full path of its own
    /// executable; other builds' servers are not ours.)
    private static func isBenchServe(_ pid: Int32) -> Bool {
        let words = commandLine(of: pid)
        return words.count > 1 && words[0] == executable.path && words[1] == "serve"
    }

    /// The words of a process's command line (/proc/PID/cmdline), none once it is gone.
    static func commandLine(of pid: Int32) -> [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// The processes a ``BenchProcess`` has seen below it, shared by its copies.
private final class Census: Sendable {
    let members = Locked<(all: Set<ProcessTree.Member>, servers: Set<ProcessTree.Member>)>(([], []))
}
