#if canImport(Glibc)
import Glibc
#endif

/// A server model: one way of accepting and scheduling connections, all speaking the protocol of the Wire module.
///
/// The lifecycle is start once, stop once. Conforming types are classes shared between the task that started them,
/// the task that stops them and whoever reads their counters, hence `AnyObject` and `Sendable`.
public protocol Server: AnyObject, Sendable {
    /// Called once by `bench serve` (or a test's `withRunningServer`) before any client connects: binds, listens
    /// and starts accepting. Returns the address it listens on, with port 0 resolved to the port the kernel chose.
    /// Throws only when the server cannot start (address in use, no threads); client failures are counted instead.
    func start() async throws -> ServerAddress

    /// Called once by `bench serve` on SIGINT/SIGTERM (or at the end of a test): stops accepting and closes the
    /// listener, lets connections in progress finish for up to the drain timeout, then closes the rest, and returns
    /// when every thread and socket the server made is gone. Calling it again does nothing.
    func stop() async

    /// Read by `bench serve` after stop, or by anyone at any time while it runs: what the server has done so far.
    var counters: ServerCounters { get }
}

/// Where a started server listens.
public struct ServerAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port` (`[host]:port` for IPv6), as in the `listening` line of `bench serve` and in URLs.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Why a server could not start: the one kind of failure that throws.
public struct ServerStartError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    /// "`what`: `strerror(code)`", for a failed system call.
    init(_ what: String, errno code: Int32) {
        self.init("\(what): \(String(cString: strerror(code)))")
    }
}

/// Why a model cannot run here at all: the system refuses what it is built on (io_uring on an old kernel, under a
/// seccomp filter or `kernel.io_uring_disabled`). A fact of the machine rather than a failure of the server: `bench
/// serve` says so in one line on stderr and exits, and `bench compare` and `bench check` find that line in its
/// output (``init(errorOutput:)``) and skip the model with the reason instead of failing the run.
public struct ServerUnavailable: Error, CustomStringConvertible {
    public let reason: String

    private static let marker = "unavailable on this system: "

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { Self.marker + reason }

    /// The refusal a server's stderr reports, if any.
    public init?(errorOutput: String) {
        guard let line = errorOutput.split(separator: "\n").first(where: { $0.contains(Self.marker) }),
            let range = line.firstRange(of: Self.marker)
        else { return nil }
        reason = String(line[range.upperBound...])
    }
}
