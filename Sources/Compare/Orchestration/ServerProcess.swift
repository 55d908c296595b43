import Driver

#if canImport(Glibc)
import Glibc
#endif

/// A `bench serve` child process: started on a free port, waited for until it prints its `listening` line,
/// stopped with SIGTERM, and reaped with wait4 so its CPU time and peak memory are known.
///
/// The server runs in a process of its own so that 10,000 driver sockets and 10,000 server sockets each fit
/// under a 20,000 descriptor limit, and so that its CPU use can be measured apart from the driver's.
public final class ServerProcess {
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    public let pid: pid_t
    /// The port the server reported in its `listening` line.
    public private(set) var port = 0
    private let stdoutDescriptor: Int32
    private let stderrPath: String
    private var usage: ServerUsage? = nil

    // MARK: Starting

    /// Starts `executable arguments...` and returns once it has printed `listening HOST:PORT ...` on stdout, or
    /// throws when it exits first or stays silent past `timeoutSeconds`. `cpu` pins the child to one core.
    public init(executable: String, arguments: [String], timeoutSeconds: Double, cpu: Int? = nil) throws {
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else { throw StartError(description: "cannot create a pipe") }
        // Close-on-exec, so later children (the next server) do not inherit this server's pipe.
        _ = fcntl(pipeEnds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(pipeEnds[1], F_SETFD, FD_CLOEXEC)
        let stderrPath = "/tmp/bench-serve-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
        let pid: pid_t
        do {
            pid = try Self.spawn(executable, arguments, stdout: pipeEnds[1], stderrPath: stderrPath)
        } catch {
            close(pipeEnds[0])
            close(pipeEnds[1])
            throw error
        }
        close(pipeEnds[1])
        self.pid = pid
        self.stdoutDescriptor = pipeEnds[0]
        self.stderrPath = stderrPath
        if let cpu { CPUAffinity.pin(pid, to: cpu) }
        do {
            port = try Self.readListeningPort(from: pipeEnds[0], timeoutSeconds: timeoutSeconds)
        } catch let error as StartError {
            let usage = stop(timeoutSeconds: 2)
            let detail = usage.errorOutput.isEmpty ? "" : ": " + usage.errorOutput
            throw StartError(description: error.description + detail)
        }
    }

    deinit {
        if usage == nil { _ = stop(timeoutSeconds: 2) }
    }

    private static func spawn(_ executable: String, _ arguments: [String], stdout: Int32, stderrPath: String) throws
        -> pid_t
    {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        // stderr goes to a file, not a pipe: nobody reads it while the run goes on, and a full pipe would block
        // the server on its first long error message.
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A process group of its own: Ctrl-C reaches only `bench compare`, which then stops the server itself and
        // still measures its resource use, instead of the terminal killing both at once.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let argv = ([executable] + arguments).map { strdup($0) }
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv + [nil], environ)
        guard result == 0 else {
            throw StartError(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        return pid
    }

    private static func readListeningPort(from descriptor: Int32, timeoutSeconds: Double) throws -> Int {
        let deadline = MonotonicClock.seconds() + timeoutSeconds
        var line: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256)
        while !line.contains(UInt8(ascii: "\n")) {
            let remaining = deadline - MonotonicClock.seconds()
            guard remaining > 0 else {
                throw StartError(description: "the server printed no 'listening' line within \(timeoutSeconds) s")
            }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(remaining * 1000) + 1) > 0 else { continue }
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw StartError(description: "the server exited before it was listening") }
            line += chunk[0..<count]
        }
        let text = String(decoding: line.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        // `listening 127.0.0.1:PORT model=MODEL protocol=PROTOCOL`
        let fields = text.split(separator: " ")
        guard fields.first == "listening", fields.count >= 2, let colon = fields[1].lastIndex(of: ":"),
            let port = Int(fields[1][fields[1].index(after: colon)...])
        else { throw StartError(description: "the server said '\(text)' instead of 'listening HOST:PORT ...'") }
        return port
    }

    // MARK: Measuring

    /// CPU seconds (user + system, all threads) the server has used so far, from /proc/PID/stat, or nil once it
    /// is gone. Sampled at the edges of the measured window, so CPU per request leaves out start-up and warmup.
    public func cpuSeconds() -> Double? {
        guard usage == nil, let line = MachineFacts.firstLine(ofFile: "/proc/\(pid)/stat") else { return nil }
        // Fields after the command name, which is in parentheses and may hold spaces: state is field 3, utime
        // and stime are fields 14 and 15, in clock ticks.
        guard let close = line.lastIndex(of: ")") else { return nil }
        let fields = line[line.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    // MARK: Stopping

    /// Whether the server has exited (for example crashed mid-run), without reaping it.
    public var hasExited: Bool {
        guard usage == nil else { return true }
        var info = siginfo_t()
        let peeked = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0
        return peeked && info._sifields._sigchld.si_pid == pid
    }

    /// Sends SIGTERM (the graceful stop of `bench serve`), waits up to `timeoutSeconds`, then SIGKILL; reaps the
    /// child and returns its resource use. Calling it again returns the same figures.
    @discardableResult
    public func stop(timeoutSeconds: Double) -> ServerUsage {
        if let usage { return usage }
        kill(pid, SIGTERM)
        let deadline = MonotonicClock.seconds() + timeoutSeconds
        var status: Int32 = 0
        var resources = rusage()
        var reaped = wait4(pid, &status, WNOHANG, &resources) == pid
        while !reaped && MonotonicClock.seconds() < deadline {
            usleep(5_000)
            reaped = wait4(pid, &status, WNOHANG, &resources) == pid
        }
        var killed = false
        if !reaped {
            kill(pid, SIGKILL)
            killed = true
            while wait4(pid, &status, 0, &resources) < 0 && errno == EINTR {}
        }
        close(stdoutDescriptor)
        let errorOutput = Self.readAndRemove(stderrPath)
        let usage = ServerUsage(
            userSeconds: Self.seconds(resources.ru_utime),
            systemSeconds: Self.seconds(resources.ru_stime),
            peakRSSKiB: Int(resources.ru_maxrss),
            exit: killed ? .killedAfterTimeout : ServerUsage.Exit(waitStatus: status),
            errorOutput: errorOutput
        )
        self.usage = usage
        return usage
    }

    private static func seconds(_ time: timeval) -> Double {
        Double(time.tv_sec) + Double(time.tv_usec) / 1e6
    }

    private static func readAndRemove(_ path: String) -> String {
        defer { unlink(path) }
        guard let file = fopen(path, "r") else { return "" }
        defer { fclose(file) }
        var text: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        // The last 64 KiB at most: enough for the counters line and an error, bounded whatever the child printed.
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
