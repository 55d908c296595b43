import SystemCalls

/// What a server child process used and how it ended, as wait4 reported it.
public struct ServerUsage: Sendable, Equatable {
    public var userSeconds: Double
    public var systemSeconds: Double
    /// CPU seconds (user + system) over the measured window only, when it could be sampled.
    public var windowCPUSeconds: Double?
    /// ru_maxrss, which Linux reports in KiB.
    public var peakRSSKiB: Int
    public var exit: ChildProcess.Exit
    /// What the server printed on stderr: its counters line after a graceful stop, or its error.
    public var errorOutput: String

    /// The server's own counters from its last `key=value ...` line on stderr, e.g. `connections`, `requests`.
    public var counters: [String: Int] {
        guard let line = errorOutput.split(separator: "\n").last(where: { $0.contains("=") }) else { return [:] }
        var counters: [String: Int] = [:]
        for field in line.split(separator: " ") {
            let parts = field.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let value = Int(parts[1]) { counters[String(parts[0])] = value }
        }
        return counters
    }
}
