#if canImport(Glibc)
import Glibc
#endif

/// What a process group uses, summed over its processes, from /proc: a server and, for the prefork model, its worker
/// processes (they share its group). Read at the edges of a measured window (CPU) and a few times
/// a second inside it (threads, descriptors, resident memory, for their peaks).
public struct ProcessStats: Sendable, Equatable {
    /// CPU seconds (user + system) so far.
    public var cpuSeconds = 0.0
    /// Threads now, open descriptors now.
    public var threads = 0
    public var descriptors = 0
    /// The sum of each process's peak resident memory so far (VmHWM).
    public var peakResidentKiB = 0
    /// The sum of each process's resident memory now (VmRSS): what a soak follows, as a peak cannot fall.
    public var residentKiB = 0
    /// System calls entered since counting started (``SyscallCounter``, which /proc does not show); nil where none
    /// are counted.
    public var systemCalls: UInt64?

    public init() {}

    /// The group led by `leader` (its process group id), or nil once no process of it is left.
    public static func group(_ leader: pid_t) -> ProcessStats? {
        var stats = ProcessStats()
        var found = false
        for (pid, stat) in members(ofGroup: leader) {
            found = true
            stats.cpuSeconds += stat.cpuSeconds ?? 0
            stats.threads += stat.threads ?? 0
            stats.descriptors += ProcFile.entries("/proc/\(pid)/fd")?.count ?? 0
            let status = ProcFile.lines("/proc/\(pid)/status", limit: 4096) ?? []
            stats.peakResidentKiB += statusValue(status, "VmHWM:") ?? 0
            stats.residentKiB += statusValue(status, "VmRSS:") ?? 0
        }
        return found ? stats : nil
    }

    /// The processes of the group led by `leader`, with their /proc/PID/stat.
    public static func members(ofGroup leader: pid_t) -> [(pid: pid_t, stat: ProcStat)] {
        (ProcFile.entries("/proc") ?? []).compactMap { name in
            guard let pid = pid_t(name), let stat = ProcStat(pid: pid), stat.processGroup == leader else { return nil }
            return (pid, stat)
        }
    }

    /// CPU seconds (user + system, all threads) one process has used so far, or nil when it is gone.
    public static func cpuSeconds(ofProcess pid: pid_t) -> Double? {
        ProcStat(pid: pid)?.cpuSeconds
    }

    /// A number of /proc/PID/status's lines, such as `VmHWM:   1234 kB`.
    private static func statusValue(_ status: [Substring], _ key: String) -> Int? {
        guard let line = status.first(where: { $0.hasPrefix(key) }) else { return nil }
        // The value follows a tab and, for sizes, spaces: "VmHWM:\t    1234 kB".
        return Int(line.dropFirst(key.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
    }

}
