import SystemCalls

/// The machine's CPU time so far, from the first line of /proc/stat, to tell how much of a window the hypervisor
/// took (steal): on a shared virtual machine a slow spell shows there, and a figure measured in one is not the
/// code's.
public struct CPUTimes: Sendable, Equatable {
    /// Clock ticks the hypervisor ran something else while this machine wanted the CPU.
    public var steal: UInt64
    /// Clock ticks of every kind (user, nice, system, idle, iowait, irq, softirq, steal).
    public var total: UInt64
    /// Clock ticks no one wanted a core (idle and iowait).
    public var idle: UInt64 = 0

    /// Now, or zeros where /proc/stat cannot be read.
    public static func now() -> CPUTimes {
        // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"
        let fields = (ProcFile.firstLine("/proc/stat") ?? "").split(separator: " ").dropFirst().compactMap {
            UInt64($0)
        }
        guard fields.count >= 8 else { return CPUTimes(steal: 0, total: 0) }
        return CPUTimes(steal: fields[7], total: fields[0..<8].reduce(0, +), idle: fields[3] + fields[4])
    }

    /// The share of the CPU time between `earlier` and this reading that went to steal, in percent; nil when no
    /// time passed or /proc/stat was not readable.
    public func stealPercent(since earlier: CPUTimes) -> Double? {
        guard total > earlier.total else { return nil }
        return 100 * Double(steal - earlier.steal) / Double(total - earlier.total)
    }

    /// The share of the CPU time between `earlier` and this reading in which the cores were wanted (everything but
    /// idle), in percent: the whole machine's, whoever wanted them; nil as for ``stealPercent(since:)``.
    public func busyPercent(since earlier: CPUTimes) -> Double? {
        guard total > earlier.total else { return nil }
        return 100 - 100 * Double(idle - earlier.idle) / Double(total - earlier.total)
    }
}
