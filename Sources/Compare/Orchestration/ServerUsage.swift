import Servers
import SystemCalls

/// What a server child process used and how it ended, as wait4 reported it.
public struct ServerUsage: Sendable, Equatable {
    public var userSeconds: Double
    public var systemSeconds: Double
    /// The server's peak resident memory: the sum of its processes' own peaks (VmHWM), as last sampled before the
    /// stop; nil when it was not sampled.
    public var peakRSSKiB: Int?
    /// The most threads and open descriptors the server's process group held in the measured window (sampled four
    /// times a second).
    public var peakThreads: Int?
    public var peakDescriptors: Int?
    /// Context switches over the server's whole life, from wait4 (voluntary: it waited; involuntary: preempted).
    /// Whole life, because only wait4 still counts the threads that ended: a window's edges read from /proc would
    /// lose every connection thread of the thread-per-connection model that ended inside it.
    public var voluntarySwitches: Int?
    public var involuntarySwitches: Int?
    public var exit: ChildProcess.Exit
    /// What the server printed on stderr: its counters line after a graceful stop, or its error.
    public var errorOutput: String

    /// The server's own counters from its last `key=value ...` line on stderr; nil when it printed none (it did not
    /// stop gracefully).
    public var counters: ServerCounters? {
        errorOutput.split(separator: "\n").reversed().lazy.compactMap { ServerCounters(keyValueLine: String($0)) }.first
    }
}
