import Driver
import Foundation
import SystemCalls

/// The server that `bench check --against` drives with both builds' drivers: one that neither build changes, so
/// that a difference between the pair is the drivers' own.
///
/// The reference server (`Benchmarks/Reference/refserver`, in C, which `swift build` puts beside `bench`) is the
/// first choice: one thread, a few system calls per connection, so the driver is the side that limits. It speaks
/// the greeting and request protocols; for the others, or where it is missing, the other build's blocking model
/// serves instead: fixed too, but a Swift server sharing the cores. refserver speaks no TLS: over TLS this tree's
/// blocking model serves, since the other build may be older than TLS support, and one server for both drivers is
/// what makes the pair the drivers' difference.
public enum FixedServer: Sendable {
    /// The reference server's executable.
    case reference(String)
    /// `bench serve --model blocking` of `executable`, with `arguments` (the check's server arguments: TLS under
    /// --tls); `owner` names the build for people ("the other build", "this tree").
    case blocking(executable: String, owner: String, arguments: [String])

    /// How the table and meta.csv name it.
    public var name: String {
        switch self {
        case .reference: "refserver"
        case .blocking(_, let owner, _): "blocking model of \(owner)"
        }
    }

    /// The reference server `reference` (default: the `refserver` beside this process's executable), or a blocking
    /// model with the reason why: over TLS `current`'s (this tree's `bench`), elsewhere `against`'s (the other
    /// build's). Either is started with `settings`' server arguments.
    public static func choose(
        reference: String?, settings: CompareSettings, current: String, against: String
    ) -> (server: FixedServer, reason: String?) {
        if settings.load.tls != nil {
            return (
                .blocking(executable: current, owner: "this tree", arguments: settings.serverArguments),
                "refserver speaks no TLS"
            )
        }
        let fallback = FixedServer.blocking(
            executable: against, owner: "the other build", arguments: settings.serverArguments)
        let wireProtocol = settings.load.wireProtocol
        guard wireProtocol == .greeting || wireProtocol == .request else {
            return (fallback, "refserver speaks the greeting and request protocols, not \(wireProtocol)")
        }
        let path = reference ?? besideThisExecutable
        guard FileManager.default.isExecutableFile(atPath: path) else {
            return (fallback, "\(path) is missing (swift build makes it beside bench)")
        }
        return (.reference(path), nil)
    }

    /// `refserver` in the directory of this process's executable: where `swift build` puts it, beside `bench`.
    static var besideThisExecutable: String {
        let own = URL(fileURLWithPath: ProcFile.ownExecutable ?? CommandLine.arguments[0])
        return own.deletingLastPathComponent().appendingPathComponent("refserver").path
    }

    /// Starts the server for `settings` (its protocol) on a port the kernel picks, to live at most
    /// `lifetimeSeconds` (refserver stops itself then; the blocking model stops when this process ends).
    func start(_ settings: LoadSettings, lifetimeSeconds: Int, timeoutSeconds: Double) throws -> ServerProcess {
        switch self {
        case .blocking(let executable, _, let arguments):
            return try ServerProcess(
                executable: executable,
                arguments: ["serve", "--model", "blocking", "--protocol", settings.wireProtocol.rawValue,
                            "--host", settings.host, "--port", "0"] + arguments,
                timeoutSeconds: timeoutSeconds)
        case .reference(let executable):
            return try ServerProcess(
                executable: executable,
                arguments: ["-p", "0", "-a", settings.host, "-m", settings.wireProtocol == .greeting ? "oneshot" : "ka",
                            "-T", String(lifetimeSeconds)],
                timeoutSeconds: timeoutSeconds)
        }
    }
}
