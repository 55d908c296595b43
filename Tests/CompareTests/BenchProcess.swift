import Foundation
import Synchronization
import SystemCalls

/// The `bench` executable of this build, run as a child process the way a person runs it: the compare tests
/// check the command line, its files and its table together.
struct BenchProcess {
    private let child: ChildProcess
    /// stderr goes to a file, read once the process has ended: one pipe (stdout) is read while it runs.
    private let errorsPath = FileManager.default.temporaryDirectory
        .appendingPathComponent("bench-stderr-\(UUID().uuidString)").path
    /// Every `bench serve` this process started that a look at its children has seen.
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

    /// `environment`: `NAME=value` entries added to this process's environment for the child.
    init(_ arguments: [String], environment: [String] = []) throws {
        child = try ChildProcess(
            Self.executable.path, arguments, stdout: .pipe, stderr: .file(errorsPath), environment: environment)
    }

    var pid: Int32 { child.pid }

    /// SIGINT, as Ctrl-C at a terminal sends.
    func interrupt() {
        kill(child.pid, SIGINT)
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
            _ = childServers()
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
        let servers = Self.benchServers().map { ($0, Self.parent(of: $0)) }
        var found: Set<Int32> = []
        var parents: Set<Int32> = [child.pid]
        while true {
            let more = Set(servers.filter { $0.1.map(parents.contains) ?? false }.map(\.0)).subtracting(found)
            if more.isEmpty { break }
            found.formUnion(more)
            parents = more
        }
        // Remembered: once their parent dies they belong to another, and only this set still knows them as ours.
        seen.pids.withLock { $0.formUnion(found) }
        return found
    }

    /// How many servers the looks at this process's children have seen (so that none left running means something).
    var serversSeen: Int { seen.pids.withLock { $0.count } }

    /// The servers seen among this process's children that still run: after its exit, none should. (Children of
    /// other tests' processes, which run meanwhile, are not counted.)
    var serversLeftRunning: Set<Int32> {
        seen.pids.withLock { $0 }.intersection(Self.benchServers())
    }

    /// Process ids of every `bench serve` of this build running now. (Compare starts servers by the full path of
    /// its own executable; other builds' servers are not ours.)
    private static func benchServers() -> Set<Int32> {
        let executable = executable.path
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return Set(entries.compactMap(Int32.init).filter { pid in
            let words = commandLine(of: pid)
            return words.count > 1 && words[0] == executable && words[1] == "serve"
        })
    }

    /// The words of a process's command line (/proc/PID/cmdline), none once it is gone.
    static func commandLine(of pid: Int32) -> [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    private static func parent(of pid: Int32) -> Int32? {
        ProcStat(pid: pid)?.parent
    }
}

/// The server pids a ``BenchProcess`` has seen, shared by its copies.
private final class Census: Sendable {
    let pids = Mutex<Set<Int32>>([])
}
