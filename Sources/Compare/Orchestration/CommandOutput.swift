import SystemCalls

/// Short commands (`git rev-parse HEAD`, `swift --version`), run to their end within a deadline: whether they
/// succeeded and the first line they printed. Used for the facts recorded beside results and by `bench check`'s
/// builds of another revision.
enum CommandOutput {
    /// Runs `command` (looked up in PATH); nil when it is missing, fails, or takes longer than `timeoutSeconds`,
    /// otherwise its first line of output, which may be empty.
    static func run(_ command: [String], timeoutSeconds: Double = 5) -> String? {
        guard let child = try? ChildProcess(command[0], Array(command.dropFirst()), stdout: .pipe, searchPath: true)
        else { return nil }
        let deadline = MonotonicClock.seconds() + timeoutSeconds
        let (output, _) = child.readOutput(timeoutSeconds: timeoutSeconds)
        // End of output comes when the command closes its stdout, which may be a moment before it exits (`swift
        // --version` often was, and came out "unknown"): its exit is waited for, up to the same deadline.
        guard child.wait(timeoutSeconds: max(0, deadline - MonotonicClock.seconds())).exit.isClean else { return nil }
        return String(decoding: output.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
    }

    /// The first line `command` prints when it succeeds, or nil when it fails or prints nothing.
    static func firstLine(_ command: [String], timeoutSeconds: Double = 5) -> String? {
        run(command, timeoutSeconds: timeoutSeconds).flatMap { $0.isEmpty ? nil : $0 }
    }
}
