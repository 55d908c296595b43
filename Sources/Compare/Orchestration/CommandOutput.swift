import SystemCalls

/// Short commands (`git rev-parse HEAD`, `swift --version`), run to their end within a deadline: whether they
/// succeeded and the first line they printed. Used for the facts recorded beside results and by `bench check`'s
/// builds of another revision.
public enum CommandOutput {
    /// Runs `command` (looked up in PATH); nil when it is missing, fails, or takes longer than `timeoutSeconds`,
    /// otherwise its first line of output, which may be empty.
    static func run(_ command: [String], timeoutSeconds: Double = 5) -> String? {
        output(command, timeoutSeconds: timeoutSeconds).map { String($0.prefix { $0 != "\n" }) }
    }

    /// Runs `command` as ``run(_:timeoutSeconds:)`` does; all of its output.
    static func output(_ command: [String], timeoutSeconds: Double = 5) -> String? {
        guard let child = try? ChildProcess(command[0], Array(command.dropFirst()), stdout: .pipe, searchPath: true)
        else { return nil }
        let (output, exit) = finish(child, timeoutSeconds: timeoutSeconds)
        guard exit.isClean else { return nil }
        return String(decoding: output, as: UTF8.self)
    }

    /// Runs `command` with its stderr joined to its stdout, for a command whose failure should be explained: nil
    /// when it succeeded, otherwise why (its last lines, or that it could not start or ran out of time).
    public static func failure(of command: [String], timeoutSeconds: Double) -> String? {
        guard let child = try? ChildProcess(
            command[0], Array(command.dropFirst()), stdout: .pipe, stderr: .pipe, searchPath: true)
        else { return "\(command[0]) could not be started" }
        let (output, exit) = finish(child, timeoutSeconds: timeoutSeconds)
        guard !exit.isClean else { return nil }
        let said = String(decoding: output, as: UTF8.self).split(separator: "\n").suffix(3).joined(separator: " / ")
        return "\(exit)" + (said.isEmpty ? "" : ": " + said)
    }

    /// The whole output of `child` and how it ended, all within the deadline.
    private static func finish(_ child: ChildProcess, timeoutSeconds: Double) -> (output: [UInt8], exit: ChildProcess.Exit) {
        let deadline = MonotonicClock.seconds() + timeoutSeconds
        let (output, _) = child.readOutput(timeoutSeconds: timeoutSeconds)
        // End of output comes when the command closes its stdout, which may be a moment before it exits (`swift
        // --version` often was, and came out "unknown"): its exit is waited for, up to the same deadline.
        return (output, child.wait(timeoutSeconds: max(0, deadline - MonotonicClock.seconds())).exit)
    }

    /// The first line `command` prints when it succeeds, or nil when it fails or prints nothing.
    static func firstLine(_ command: [String], timeoutSeconds: Double = 5) -> String? {
        run(command, timeoutSeconds: timeoutSeconds).flatMap { $0.isEmpty ? nil : $0 }
    }
}
