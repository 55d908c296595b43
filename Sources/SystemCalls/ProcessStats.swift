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

    public init() {}

    /// The group led by `leader` (its process group id), or nil once no process of it is left.
    public static func group(_ leader: pid_t) -> ProcessStats? {
        guard let entries = opendir("/proc") else { return nil }
        defer { closedir(entries) }
        var stats = ProcessStats()
        var found = false
        while let entry = readdir(entries) {
            guard let pid = pid_t(name(of: entry)), let stat = ProcStat(pid: pid), stat.processGroup == leader else {
                continue
            }
            found = true
            stats.cpuSeconds += stat.cpuSeconds ?? 0
            stats.threads += stat.threads ?? 0
            stats.descriptors += count(in: "/proc/\(pid)/fd")
            stats.peakResidentKiB += statusValue(pid, "VmHWM:") ?? 0
        }
        return found ? stats : nil
    }

    /// CPU seconds (user + system, all threads) one process has used so far, or nil when it is gone.
    public static func cpuSeconds(ofProcess pid: pid_t) -> Double? {
        ProcStat(pid: pid)?.cpuSeconds
    }

    /// A number of /proc/PID/status, such as `VmHWM:   1234 kB`.
    private static func statusValue(_ pid: pid_t, _ key: String) -> Int? {
        let path = "/proc/\(pid)/status"
        guard let line = ProcFile.lines(path, limit: 4096)?.first(where: { $0.hasPrefix(key) }) else { return nil }
        // The value follows a tab and, for sizes, spaces: "VmHWM:\t    1234 kB".
        return Int(line.dropFirst(key.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
    }

    private static func count(in directory: String) -> Int {
        guard let entries = opendir(directory) else { return 0 }
        defer { closedir(entries) }
        var count = 0
        while let entry = readdir(entries) {
            if entry.pointee.d_name.0 != 46 { count += 1 }  // not "." nor ".."
        }
        return count
    }

    private static func name(of entry: UnsafeMutablePointer<dirent>) -> String {
        withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
