#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn, watched without blocking, and reaped with wait4 so that its CPU time
/// and peak memory are known: the one process spawner of the project (servers of `bench compare`, drivers and
/// builds of `bench check`, short commands whose first line is wanted).
///
/// posix_spawn, not fork: the parent is multithreaded, and a forked copy of it may only call async-signal-safe
/// functions until it execs.
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: `usage` is written once, by whoever reaps the child (``wait(timeoutSeconds:)`` or ``stop``), which
    // its owner does on one thread; the pipe is read by one reader at a time; the rest is immutable.
    /// Why a child could not be started.
    public struct SpawnError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Where a standard stream of the child goes.
    public enum Output {
        /// /dev/null.
        case discard
        /// A pipe whose read end the parent keeps (``outputDescriptor``); stdout and stderr may share it.
        case pipe
        /// A file, created or truncated.
        case file(String)
    }

    /// What the child used and how it ended, as wait4 reported it. (Not its ru_maxrss: Linux counts in it the
    /// memory of the process that spawned it, as it stood at the exec; ``ProcessStats`` reads a process's own peak.)
    public struct Usage: Sendable, Equatable {
        public var userSeconds: Double
        public var systemSeconds: Double
        /// Context switches of every thread the child ever had (and of the children it reaped): it waited
        /// (voluntary), or was preempted (involuntary).
        public var voluntarySwitches: Int
        public var involuntarySwitches: Int
        public var exit: Exit
    }

    public enum Exit: Sendable, Equatable, CustomStringConvertible {
        case status(Int32)
        case signal(Int32)
        /// It did not end within the deadline and was killed.
        case killedAfterTimeout

        init(waitStatus: Int32) {
            // WIFEXITED / WEXITSTATUS / WTERMSIG, which Glibc defines as macros Swift cannot import.
            let signal = waitStatus & 0x7F
            self = signal == 0 ? .status((waitStatus >> 8) & 0xFF) : .signal(signal)
        }

        /// Exit status 0.
        public var isClean: Bool { self == .status(0) }

        public var description: String {
            switch self {
            case .status(let code): "exit status \(code)"
            case .signal(let number): "killed by signal \(number)"
            case .killedAfterTimeout: "no exit within the deadline (killed)"
            }
        }
    }

    public let pid: pid_t
    /// Whether the child leads a process group of its own, which a kill after a deadline then ends whole.
    private let leadsGroup: Bool
    /// The read end of the pipe that the child's stdout or stderr (or both) go to when they are ``Output/pipe``;
    /// closed once the child is reaped.
    public private(set) var outputDescriptor: Int32?
    public private(set) var usage: Usage?

    // MARK: Starting

    /// Starts `executable` (a path, or a name looked up in PATH when `searchPath`) with `arguments`.
    /// - Parameters:
    ///   - ownProcessGroup: the child leads a process group of its own, so that Ctrl-C at a terminal reaches only
    ///     this process, which then stops the child itself and still measures it.
    ///   - workingDirectory: where the child starts; nil for this process's.
    ///   - environment: `NAME=value` entries added to this process's environment for the child.
    ///   - inherits: descriptors the child gets as 3, 4, ... (a prefork worker's listening socket).
    public init(
        _ executable: String, _ arguments: [String], stdout: Output = .discard, stderr: Output = .discard,
        ownProcessGroup: Bool = true, searchPath: Bool = false, workingDirectory: String? = nil,
        environment: [String] = [], inherits: [Int32] = []
    ) throws(SpawnError) {
        var pipeEnds: [Int32] = [-1, -1]
        let piped = [stdout, stderr].contains { if case .pipe = $0 { true } else { false } }
        if piped {
            guard pipe(&pipeEnds) == 0 else { throw SpawnError(description: "cannot create a pipe") }
            // Close-on-exec, so later children do not inherit this child's pipe and keep it open.
            for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (stream, output) in [(Int32(1), stdout), (Int32(2), stderr)] {
            switch output {
            case .discard: posix_spawn_file_actions_addopen(&actions, stream, "/dev/null", O_WRONLY, 0)
            case .pipe: posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], stream)
            case .file(let path):
                if stream == 2, case .file(path) = stdout {
                    // One open file for both, as `2>&1` makes: two opens would each write from offset 0.
                    posix_spawn_file_actions_adddup2(&actions, 1, 2)
                } else {
                    posix_spawn_file_actions_addopen(&actions, stream, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
                }
            }
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        // Nothing but the three standard streams and what it is given goes to the child, whether or not its opener
        // set close-on-exec: a connection the child inherited would stay open after this process closed it, and its
        // peer would wait.
        for (index, descriptor) in inherits.enumerated() {
            posix_spawn_file_actions_adddup2(&actions, descriptor, Int32(3 + index))
        }
        Self.addCloseFrom(&actions, Int32(3 + inherits.count))
        if let workingDirectory { Self.addChangeDirectory(&actions, workingDirectory) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts with no signal blocked and the stop signals, SIGPIPE and SIGUSR1 at their defaults: it
        // would otherwise inherit the mask of the spawning thread (Dispatch's and Swift's pool threads block every
        // signal, and a SIGTERM to a child that blocks it waits out the stop's deadline) and this process's ignored
        // signals.
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if ownProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in StopSignals.all + [SIGPIPE, SIGUSR1] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        let argv = ([executable] + arguments).map { strdup($0) }
        defer { argv.forEach { free($0) } }
        // This process's environment, but for the names given anew (getenv would find the inherited one first).
        let names = environment.map { $0.prefix { $0 != "=" } + "=" }
        var inherited: [UnsafeMutablePointer<CChar>?] = []
        var index = 0
        while let entry = environ[index] {
            let text = String(cString: entry)
            if !names.contains(where: { text.hasPrefix($0) }) { inherited.append(entry) }
            index += 1
        }
        let added = environment.map { strdup($0) }
        defer { added.forEach { free($0) } }
        let variables = inherited + added + [nil]
        var pid: pid_t = 0
        let result =
            searchPath
            ? posix_spawnp(&pid, executable, &actions, &attributes, argv + [nil], variables)
            : posix_spawn(&pid, executable, &actions, &attributes, argv + [nil], variables)
        if pipeEnds[1] >= 0 { close(pipeEnds[1]) }
        guard result == 0 else {
            if pipeEnds[0] >= 0 { close(pipeEnds[0]) }
            throw SpawnError(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        self.pid = pid
        leadsGroup = ownProcessGroup
        outputDescriptor = pipeEnds[0] >= 0 ? pipeEnds[0] : nil
    }

    deinit {
        if usage == nil { stop(timeoutSeconds: 2) }
    }

    private typealias AddChangeDirectory = @convention(c) (
        UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>
    ) -> Int32

    /// posix_spawn_file_actions_addchdir_np (glibc 2.29) is not in Swift's Glibc module, so it is looked up at run
    /// time, as the driver looks up epoll.
    private static func addChangeDirectory(_ actions: inout posix_spawn_file_actions_t, _ path: String) {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np")
        else { preconditionFailure("the C library lacks posix_spawn_file_actions_addchdir_np (glibc 2.29)") }
        _ = unsafeBitCast(symbol, to: AddChangeDirectory.self)(&actions, path)
    }

    /// posix_spawn_file_actions_addclosefrom_np (glibc 2.34), looked up at run time as the other GNU extension; where
    /// it is missing, descriptors without close-on-exec are inherited.
    private static func addCloseFrom(_ actions: inout posix_spawn_file_actions_t, _ lowest: Int32) {
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        else { return }
        _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, lowest)
    }

    // MARK: Watching

    /// CPU seconds (user + system, all threads) the child has used so far, from /proc/PID/stat, or nil once it is
    /// gone. Sampled at the edges of a measured window, so figures per request leave out start-up and warmup.
    public func cpuSeconds() -> Double? {
        usage == nil ? ProcessStats.cpuSeconds(ofProcess: pid) : nil
    }

    /// Whether the child has exited (for example crashed mid-run), without reaping it.
    public var hasExited: Bool {
        guard usage == nil else { return true }
        var info = siginfo_t()
        let peeked = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0
        return peeked && info._sifields._sigchld.si_pid == pid
    }

    // MARK: Ending

    /// Waits up to `timeoutSeconds` for the child to exit by itself; past the deadline it is killed (SIGKILL). When
    /// `abandoned` says to stop waiting (a stop signal: Ctrl-C, SIGTERM), the child gets SIGINT, as Ctrl-C at a
    /// terminal would give it, and up to ``abandonGraceSeconds`` to stop what it started (swift build ends its
    /// compiler jobs) before it is killed. Reaps it and returns its usage; calling it again returns the same figures.
    @discardableResult
    public func wait(timeoutSeconds: Double, unless abandoned: () -> Bool = { false }) -> Usage {
        reap(signal: nil, timeoutSeconds: timeoutSeconds, unless: abandoned)
    }

    /// Sends `signal` (SIGTERM: the graceful stop of `bench serve`), waits up to `timeoutSeconds`, then SIGKILL.
    /// Reaps the child and returns its usage; calling it again returns the same figures.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeoutSeconds: Double) -> Usage {
        reap(signal: signal, timeoutSeconds: timeoutSeconds)
    }

    /// How long an abandoned child has to stop once it got SIGINT.
    public static let abandonGraceSeconds = 10.0

    /// Waits for the exit up to the deadline, or until `abandoned` says to stop waiting; past it, the child, its
    /// process group when it leads one, and every process below it are killed: nothing it started outlives it.
    private func reap(signal: Int32?, timeoutSeconds: Double, unless abandoned: () -> Bool = { false }) -> Usage {
        if let usage { return usage }
        if let signal { kill(pid, signal) }
        var status: Int32 = 0
        var resources = rusage()
        var reaped = waitForExit(until: MonotonicClock.seconds() + timeoutSeconds, &status, &resources, abandoned)
        // Those below it, seen while it still runs: once it is gone they belong to another parent.
        var below = reaped ? [] : ProcessTree.below(pid)
        if !reaped && abandoned() {
            kill(pid, SIGINT)
            reaped = waitForExit(until: MonotonicClock.seconds() + Self.abandonGraceSeconds, &status, &resources)
        }
        if !reaped {
            below.formUnion(ProcessTree.below(pid))
            kill(leadsGroup ? -pid : pid, SIGKILL)
            while wait4(pid, &status, 0, &resources) < 0 && errno == EINTR {}
        }
        ProcessTree.kill(below)
        if let outputDescriptor { close(outputDescriptor) }
        outputDescriptor = nil
        let usage = Usage(
            userSeconds: Self.seconds(resources.ru_utime), systemSeconds: Self.seconds(resources.ru_stime),
            voluntarySwitches: resources.ru_nvcsw, involuntarySwitches: resources.ru_nivcsw, exit: reaped ? Exit(waitStatus: status) : .killedAfterTimeout)
        self.usage = usage
        return usage
    }

    /// Polls for the child's exit until `deadline` or until `abandoned` holds; true once it is reaped.
    private func waitForExit(
        until deadline: Double, _ status: inout Int32, _ resources: inout rusage, _ abandoned: () -> Bool = { false }
    ) -> Bool {
        var reaped = wait4(pid, &status, WNOHANG, &resources) == pid
        while !reaped && MonotonicClock.seconds() < deadline && !abandoned() {
            usleep(5_000)
            reaped = wait4(pid, &status, WNOHANG, &resources) == pid
        }
        return reaped
    }

    private static func seconds(_ time: timeval) -> Double {
        Double(time.tv_sec) + Double(time.tv_usec) / 1e6
    }

    // MARK: Reading the child's output

    /// The first line of the child's output without its newline (a server's `listening ...`), waiting up to
    /// `timeoutSeconds`: nil when no whole line came, with whether the child closed its output first.
    public func readFirstLine(timeoutSeconds: Double) -> (line: String?, ended: Bool) {
        let (output, ended) = readOutput(timeoutSeconds: timeoutSeconds, limit: 4096) { $0.contains(UInt8(ascii: "\n")) }
        guard let end = output.firstIndex(of: UInt8(ascii: "\n")) else { return (nil, ended) }
        return (String(decoding: output[..<end], as: UTF8.self), ended)
    }

    /// Reads the pipe until `isComplete` says the bytes so far are enough, the child closes it, `limit`
    /// bytes have come, or `timeoutSeconds` have passed; returns what came.
    public func readOutput(
        timeoutSeconds: Double, limit: Int = 1 << 16, until isComplete: ([UInt8]) -> Bool = { _ in false }
    ) -> (bytes: [UInt8], ended: Bool) {
        guard let descriptor = outputDescriptor else { return ([], true) }
        let deadline = MonotonicClock.seconds() + timeoutSeconds
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while output.count < limit && !isComplete(output) {
            let remaining = deadline - MonotonicClock.seconds()
            guard remaining > 0 else { return (output, false) }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(min(remaining * 1000, 1000)) + 1) > 0 else { continue }
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return (output, true) }
            output += chunk[0..<count]
        }
        return (output, false)
    }
}
