import SystemCalls

/// The machine's CPU time so far, from the first line of /proc/stat, to tell how much of a window the hypervisor
/// took (steal): on a shared virtual machine a slow spell shows there, and a figure measured in one is not the
/// code's.
public struct CPUTimes: Sendable, Equatable {
    /// Clock ticks the hypervisor ran something else while this machine wanted the CPU.
    public var steal: UInt64
    /// Clock ticks of every kind (user, nice, system, idle, iowait, irq, softirq, steal).
    public var total: UInt64

    /// Now, or zeros where /proc/stat cannot be read.
    public static func now() -> CPUTimes {
        // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"
        let fields = (ProcFile.firstLine("/proc/stat") ?? "").split(separator: " ").dropFirst().compactMap {
            UInt64($0)
        }
        guard fields.count >= 8 else { return CPUTimes(steal: 0, total: 0) }
        return CPUTimes(steal: fields[7], total: fields[0..<8].reduce(0, +))
    }

    /// The share of the CPU time between `earlier` and this reading that went to steal, in percent; nil when no
    /// time passed or /proc/stat was not readable.
    public func stealPercent(since earlier: CPUTimes) -> Double? {
        guard total > earlier.total else { return nil }
        return 100 * Double(steal - earlier.steal) / Double(total - earlier.total)
    }
}
