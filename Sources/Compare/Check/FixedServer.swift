import Driver
import Foundation
import SystemCalls
import Wire

#if canImport(Glibc)
import Glibc
#endif

/// The server that `bench check --against` drives with both builds' drivers: one that neither build changes, so
/// that a difference between the pair is the drivers' own.
///
/// The C reference server (`../shared/reference/refserver.c`, built with `cc -O2`) is the first choice: one thread,
/// a few system calls per connection, so the driver is the side that limits. Where its source is not beside the
/// repository, the other build's blocking model serves instead: fixed too, but a Swift server sharing the cores.
public enum FixedServer: Sendable {
    /// The reference server's executable.
    case reference(String)
    /// `bench serve --model blocking` of this executable.
    case blocking(String)

    /// How the table and meta.csv name it.
    public var name: String {
        switch self {
        case .reference: "refserver"
        case .blocking: "blocking model of the other build"
        }
    }

    /// The reference server built from `source` (a C file; default: `../shared/reference/refserver.c` beside the
    /// repository) into `.build/refserver`, or the blocking model of `fallback` with the reason why. The reference
    /// server speaks the greeting protocol and requests up to 64 KiB, not HTTP.
    public static func choose(
        source: String?, repository: String?, settings: LoadSettings, fallback: String
    ) -> (server: FixedServer, reason: String?) {
        guard settings.wireProtocol != .http else {
            return (.blocking(fallback), "refserver speaks the greeting and request protocols, not HTTP")
        }
        guard settings.wireProtocol == .greeting || settings.sizeMax <= 65_536 else {
            return (.blocking(fallback), "refserver answers requests of up to 64 KiB only")
        }
        let root = repository ?? FileManager.default.currentDirectoryPath
        let path = source ?? root + "/../shared/reference/refserver.c"
        guard FileManager.default.fileExists(atPath: path) else {
            return (.blocking(fallback), "\(path) is missing")
        }
        if !path.hasSuffix(".c") { return (.reference(path), nil) }
        let built = root + "/.build/refserver"
        let compiled = CommandOutput.run(["cc", "-O2", "-o", built, path], timeoutSeconds: 120)
        guard compiled != nil, FileManager.default.isExecutableFile(atPath: built) else {
            return (.blocking(fallback), "cc -O2 \(path) failed")
        }
        return (.reference(built), nil)
    }

    /// A started fixed server: its port, its CPU so far, and the way to stop it.
    final class Running {
        let port: Int
        let cpuSeconds: () -> Double?
        let stop: () -> ServerUsage

        init(port: Int, cpuSeconds: @escaping () -> Double?, stop: @escaping () -> ServerUsage) {
            self.port = port
            self.cpuSeconds = cpuSeconds
            self.stop = stop
        }
    }

    /// Starts the server for `settings` (its protocol), to live at most `lifetimeSeconds`.
    func start(_ settings: LoadSettings, lifetimeSeconds: Int, timeoutSeconds: Double) throws -> Running {
        switch self {
        case .blocking(let executable):
            let server = try ServerProcess(
                executable: executable,
                arguments: ["serve", "--model", "blocking", "--protocol", settings.wireProtocol.rawValue,
                            "--host", settings.host, "--port", "0"],
                timeoutSeconds: timeoutSeconds)
            return Running(port: server.port, cpuSeconds: server.cpuSeconds) {
                server.stop(timeoutSeconds: timeoutSeconds)
            }
        case .reference(let executable):
            // refserver takes a port and cannot be asked for a free one: take one the kernel just gave out, and try
            // again with another if something else took it meanwhile.
            var reason = ""
            for _ in 0..<3 {
                guard let port = SocketAddress.freeLoopbackPort() else {
                    throw ServerProcess.StartError(description: "no free loopback port for refserver")
                }
                let child = try ChildProcess(
                    executable,
                    ["-p", String(port), "-m", settings.wireProtocol == .greeting ? "oneshot" : "ka",
                     "-T", String(lifetimeSeconds), "-a", settings.host],
                    stdout: .discard, stderr: .pipe)
                // "refserver pid=N listening 127.0.0.1:PORT mode=oneshot backlog=4096"
                let (output, _) = child.readOutput(timeoutSeconds: timeoutSeconds) {
                    String(decoding: $0, as: UTF8.self).contains(" listening ")
                }
                let text = String(decoding: output, as: UTF8.self)
                if text.contains(" listening ") {
                    return Running(port: port, cpuSeconds: child.cpuSeconds) {
                        let ended = child.stop(timeoutSeconds: timeoutSeconds)
                        return ServerUsage(
                            userSeconds: ended.userSeconds, systemSeconds: ended.systemSeconds,
                            exit: ended.exit, errorOutput: text.trimmingTrailingNewlines())
                    }
                }
                child.stop(timeoutSeconds: 1)
                reason = text.trimmingTrailingNewlines()
            }
            throw ServerProcess.StartError(description: "refserver did not start: \(reason)")
        }
    }
}
