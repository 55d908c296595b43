import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// The machine and its limits, read before a run and written to meta.csv (and the first few to summary.csv), so
/// that a result can be judged by someone who was not there (a run hitting somaxconn or the port range says so
/// here, and figures from another CPU are seen to be so).
public struct MachineFacts: Sendable {
    public var entries: [(key: String, value: String)]

    public static func read() -> MachineFacts {
        var limit = rlimit()
        _ = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        var system = utsname()
        uname(&system)
        let kernel = withUnsafeBytes(of: system.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let host = withUnsafeBytes(of: system.nodename) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return MachineFacts(entries: [
            ("host", host),
            ("cores", String(CPUAffinity.availableCores)),
            ("cpu_model", cpuModel),
            ("cpu_governor", cpuGovernor),
            ("kernel", kernel),
            ("rlimit_nofile_soft", String(limit.rlim_cur)),
            ("rlimit_nofile_hard", String(limit.rlim_max)),
            ("ip_local_port_range", ProcFile.value("/proc/sys/net/ipv4/ip_local_port_range")),
            ("somaxconn", ProcFile.value("/proc/sys/net/core/somaxconn")),
            ("tcp_tw_reuse", ProcFile.value("/proc/sys/net/ipv4/tcp_tw_reuse")),
            ("tcp_max_syn_backlog", ProcFile.value("/proc/sys/net/ipv4/tcp_max_syn_backlog")),
            ("swift_version", CommandOutput.firstLine(["swift", "--version"]) ?? "unknown"),
            ("git_commit", CommandOutput.firstLine(["git", "rev-parse", "--short=12", "HEAD"]) ?? "unknown"),
            ("syscall_counter", syscallCounter),
        ])
    }

    public subscript(key: String) -> String? {
        entries.first { $0.key == key }?.value
    }

    /// /proc/cpuinfo's `model name` (x86) or `Model` / `CPU part` lines elsewhere, or "unknown".
    static var cpuModel: String {
        let lines = ProcFile.lines("/proc/cpuinfo") ?? []
        for key in ["model name", "Model", "CPU part"] {
            if let line = lines.first(where: { $0.hasPrefix(key) }), let colon = line.firstIndex(of: ":") {
                return String(line[line.index(after: colon)...]).trimmingSpaces
            }
        }
        return "unknown"
    }

    /// How the servers' system calls are counted (server_syscalls_per_request), or why they are not: a counter on
    /// this process's own group, opened and closed, tells.
    static var syscallCounter: String {
        do {
            _ = try SyscallCounter(group: getpgrp())
            return "perf raw_syscalls:sys_enter"
        } catch {
            return "none: \(error)"
        }
    }

    /// cpufreq's scaling governor of core 0 (`performance`, `powersave`, ...), or `none` where the kernel exposes no
    /// frequency scaling (virtual machines often do not).
    static var cpuGovernor: String {
        ProcFile.firstLine("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor") ?? "none"
    }
}
