#if canImport(Glibc)
import Glibc
#endif

/// The signals that ask a command of this project to stop, each taking the same path: Ctrl-C at a terminal
/// (SIGINT), `timeout`, `kill` and CI runners (SIGTERM), a terminal or SSH session that closes (SIGHUP). Left at their
/// default, the last two would kill a command outright and leave its children (a build of `bench check`, a server's
/// workers) running without it.
public enum StopSignals {
    public static let all: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// The exit status of a command that one of them stopped: 128 plus its number, as a shell reports a command the
    /// signal killed (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP).
    public static func exitStatus(_ signal: Int32) -> Int32 { 128 + signal }
}
