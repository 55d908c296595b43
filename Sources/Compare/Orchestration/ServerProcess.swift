import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// A `bench serve` child process: started on a free port, waited for until it prints its `listening` line,
/// stopped with SIGTERM, and reaped with wait4 so its CPU time and peak memory are known.
///
/// The server runs in a process of its own so that 10,000 driver sockets and 10,000 server sockets each fit
/// under a 20,000 descriptor limit, and so that its CPU use can be measured apart from the driver's.
public final class ServerProcess: @unchecked Sendable {
    // @unchecked: its owner starts, measures and stops it; while it runs, a sampling task only reads /proc through
    // `stats`, which touches nothing that changes before the stop.
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    private let child: ChildProcess
    public var pid: pid_t { child.pid }
    /// The port the server reported in its `listening` line.
    /// Its system calls from the `listening` line on; nil where the kernel counts none (meta.csv's
    /// `syscall_counter` says why).
    private var systemCalls: SyscallCounter?
    public private(set) var port = 0
    private let stderrPath: String
    private var usage: ServerUsage? = nil

    // MARK: Starting

    /// Starts `executable arguments...` and returns once it has printed its `listening HOST:PORT` line on stdout
    /// (`bench serve`'s, or refserver's `refserver pid=N listening HOST:PORT ...`), or throws when it exits first or
    /// stays silent past `timeoutSeconds`. `cpu` pins the child to one core.
    public init(executable: String, arguments: [String], timeoutSeconds: Double, cpu: Int? = nil) throws {
        let stderrPath = "/tmp/bench-serve-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
        do {
            // stderr goes to a file, not a pipe: nobody reads it while the run goes on, and a full pipe would block
            // the server on its first long error message.
            // Named as its parent, so that it stops itself should this process be killed (ParentWatch).
            child = try ChildProcess(
                executable, arguments, stdout: .pipe, stderr: .file(stderrPath), environment: [ParentWatch.entry])
        } catch {
            throw StartError(description: error.description)
        }
        self.stderrPath = stderrPath
        if let cpu { CPUAffinity.pin(child.pid, to: cpu) }
        do {
            port = try Self.readListeningPort(from: child, timeoutSeconds: timeoutSeconds)
        } catch let error as StartError {
            let usage = stop(timeoutSeconds: 2)
            let detail = usage.errorOutput.isEmpty ? "" : ": " + usage.errorOutput
            throw StartError(description: error.description + detail)
        }
        // Listening, it has the threads and workers it starts with; those it starts later inherit the counting.
        systemCalls = try? SyscallCounter(group: child.pid)
    }

    deinit {
        if usage == nil { _ = stop(timeoutSeconds: 2) }
    }

    private static func readListeningPort(from child: ChildProcess, timeoutSeconds: Double) throws -> Int {
        let (line, ended) = child.readFirstLine(timeoutSeconds: timeoutSeconds)
        guard let text = line else {
            throw StartError(
                description: ended
                    ? "the server exited before it was listening"
                    : "the server printed no 'listening' line within \(timeoutSeconds) s")
        }
        // `listening 127.0.0.1:PORT model=MODEL protocol=PROTOCOL`; refserver puts its name and pid first.
        let fields = text.split(separator: " ")
        guard let at = fields.firstIndex(of: "listening"), at + 1 < fields.count,
            let colon = fields[at + 1].lastIndex(of: ":"),
            let port = Int(fields[at + 1][fields[at + 1].index(after: colon)...])
        else { throw StartError(description: "the server said '\(text)' instead of 'listening HOST:PORT ...'") }
        return port
    }

    // MARK: Measuring

    /// CPU seconds (user + system, all threads) the server has used so far, its worker processes included (they
    /// share its process group), or nil once it is gone.
    public func cpuSeconds() -> Double? { stats()?.cpuSeconds }

    /// What the server's process group uses now (``ProcessStats``), or nil once it is gone.
    public func stats() -> ProcessStats? {
        guard !child.hasExited else { return nil }
        var stats = ProcessStats.group(child.pid)
        stats?.systemCalls = systemCalls?.count()
        return stats
    }

    /// Whether the server has exited (for example crashed mid-run), without reaping it.
    public var hasExited: Bool { child.hasExited }

    // MARK: Stopping

    /// Sends SIGTERM (the graceful stop of `bench serve`), waits up to `timeoutSeconds`, then SIGKILL; reaps the
    /// child and returns its resource use. Calling it again returns the same figures.
    @discardableResult
    public func stop(timeoutSeconds: Double) -> ServerUsage {
        if let usage { return usage }
        let ended = child.stop(timeoutSeconds: timeoutSeconds)
        let usage = ServerUsage(
            userSeconds: ended.userSeconds, systemSeconds: ended.systemSeconds,
            voluntarySwitches: ended.voluntarySwitches, involuntarySwitches: ended.involuntarySwitches,
            exit: ended.exit, errorOutput: Self.readAndRemove(stderrPath))
        self.usage = usage
        return usage
    }

    /// The last 64 KiB at most of the server's stderr: enough for the counters line and an error, bounded whatever
    /// the child printed.
    private static func readAndRemove(_ path: String) -> String {
        defer { unlink(path) }
        guard let file = fopen(path, "r") else { return "" }
        defer { fclose(file) }
        var text: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            guard count > 0 else { break }
            text += buffer[0..<count]
            if text.count > 65536 { text.removeFirst(text.count - 65536) }
        }
        return String(decoding: text, as: UTF8.self).trimmingTrailingNewlines()
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var text = self
        while text.last == "\n" { text.removeLast() }
        return text
    }
}
