import Driver

#if canImport(Glibc)
import Glibc
#endif

/// The first line a short command prints (`git rev-parse HEAD`, `swift --version`), or nil when it is missing,
/// fails, or takes longer than its deadline. Used only for the facts recorded beside results.
enum CommandOutput {
    static func firstLine(_ command: [String], timeoutSeconds: Double = 5) -> String? {
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else { return nil }
        // Neither end may stay open in the command under another number than its stdout: then the end of output
        // would wait for every process that inherited it, not for the command's own stdout.
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = command.map { strdup($0) }
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, command[0], &actions, nil, argv + [nil], environ) == 0
        close(pipeEnds[1])
        defer { close(pipeEnds[0]) }
        guard spawned else { return nil }
        let deadline = MonotonicClock.seconds() + timeoutSeconds
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        while output.count < 65536, MonotonicClock.seconds() < deadline {
            var poller = pollfd(fd: pipeEnds[0], events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            let count = chunk.withUnsafeMutableBytes { read(pipeEnds[0], $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            output += chunk[0..<count]
        }
        // End of output comes when the command closes its stdout, which may be a moment before it exits (`swift
        // --version` often was, and came out "unknown"): its exit is waited for, up to the same deadline.
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) != pid {
            guard MonotonicClock.seconds() < deadline else {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                return nil
            }
            usleep(1_000)
        }
        guard status == 0 else { return nil }
        let line = output.prefix { $0 != UInt8(ascii: "\n") }
        return line.isEmpty ? nil : String(decoding: line, as: UTF8.self)
    }
}
