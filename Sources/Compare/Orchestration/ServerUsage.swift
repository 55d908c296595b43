/// What a server child process used and how it ended, as wait4 reported it.
public struct ServerUsage: Sendable, Equatable {
    public enum Exit: Sendable, Equatable, CustomStringConvertible {
        case status(Int32)
        case signal(Int32)
        /// It did not stop within the deadline after SIGTERM and was killed.
        case killedAfterTimeout

        init(waitStatus: Int32) {
            // WIFEXITED / WEXITSTATUS / WTERMSIG, which Glibc defines as macros Swift cannot import.
            let signal = waitStatus & 0x7F
            self = signal == 0 ? .status((waitStatus >> 8) & 0xFF) : .signal(signal)
        }

        /// `bench serve` exits 0 after a graceful stop; anything else means the server failed.
        public var isClean: Bool { self == .status(0) }

        public var description: String {
            switch self {
            case .status(let code): "exit status \(code)"
            case .signal(let number): "killed by signal \(number)"
            case .killedAfterTimeout: "no exit within the stop deadline (killed)"
            }
        }
    }

    public var userSeconds: Double
    public var systemSeconds: Double
    /// CPU seconds (user + system) over the measured window only, when it could be sampled.
    public var windowCPUSeconds: Double?
    /// ru_maxrss, which Linux reports in KiB.
    public var peakRSSKiB: Int
    public var exit: Exit
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
