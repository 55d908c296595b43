import CPerfEvent

#if canImport(Glibc)
import Glibc
#endif

/// The system calls a process group makes, counted by the kernel: the `raw_syscalls:sys_enter` tracepoint as a
/// perf counter on every thread the group has when counting starts, each inherited by the threads and processes that
/// thread starts later (a thread per connection, a pool's lazy threads); a read sums a counter and its inherited
/// ones, living or gone. strace would stop the server at every call; a counter costs a call a few nanoseconds.
public final class SyscallCounter: @unchecked Sendable {
    /// Why the kernel counts nothing here (no tracefs, no permission, no perf events): a sentence for a run's notes.
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    // Written once in init, read after: the counters themselves are the kernel's.
    private let descriptors: [Int32]

    /// Starts counting every thread of the group led by `leader` (a server and its prefork workers).
    public init(group leader: pid_t) throws(Unavailable) {
        let id = try Self.tracepoint()
        var attributes = perf_event_attr()
        attributes.type = PERF_TYPE_TRACEPOINT.rawValue
        attributes.size = UInt32(MemoryLayout<perf_event_attr>.size)
        attributes.config = id
        attributes.inherit = 1
        var opened: [Int32] = []
        for (pid, _) in ProcessStats.members(ofGroup: leader) {
            for task in ProcFile.entries("/proc/\(pid)/task") ?? [] {
                guard let thread = pid_t(task) else { continue }
                let descriptor = bench_perf_event_open(&attributes, thread, -1, -1, UInt(PERF_FLAG_FD_CLOEXEC))
                if descriptor >= 0 {
                    opened.append(descriptor)
                } else if errno != ESRCH {  // a thread that ended since the listing counts nothing more
                    let reason = String(cString: strerror(errno))
                    opened.forEach { close($0) }
                    throw Unavailable(description: "perf_event_open: \(reason) (kernel.perf_event_paranoid, or root)")
                }
            }
        }
        guard !opened.isEmpty else { throw Unavailable(description: "no thread of process group \(leader) to count") }
        descriptors = opened
    }

    deinit {
        descriptors.forEach { close($0) }
    }

    /// System calls entered so far by the counted threads and their descendants; nil when a counter cannot be read.
    public func count() -> UInt64? {
        var total: UInt64 = 0
        for descriptor in descriptors {
            var value: UInt64 = 0
            guard read(descriptor, &value, MemoryLayout<UInt64>.size) == MemoryLayout<UInt64>.size else { return nil }
            total += value
        }
        return total
    }

    /// Where the kernel's tracing file system shows its tracepoints' ids.
    static let tracingDirectories = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]

    /// The id of `raw_syscalls:sys_enter`. Where tracefs is not mounted, a root process mounts it at
    /// /sys/kernel/tracing, as perf does: it changes nothing but what the kernel shows.
    static func tracepoint() throws(Unavailable) -> UInt64 {
        func id() -> UInt64? {
            tracingDirectories.lazy.compactMap {
                ProcFile.firstLine($0 + "/events/raw_syscalls/sys_enter/id").flatMap { UInt64($0) }
            }.first
        }
        if let id = id() { return id }
        if geteuid() == 0 && mount("nodev", tracingDirectories[0], "tracefs", 0, nil) == 0, let id = id() { return id }
        throw Unavailable(
            description: "the raw_syscalls:sys_enter tracepoint is not visible (mount tracefs at /sys/kernel/tracing)")
    }
}
