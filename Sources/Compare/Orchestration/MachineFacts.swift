#if canImport(Glibc)
import Glibc
#endif

/// The machine and its limits, read before a run and written to meta.csv, so that a result can be judged
/// by someone who was not there (a run hitting somaxconn or the port range says so here).
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
            ("kernel", kernel),
            ("rlimit_nofile_soft", String(limit.rlim_cur)),
            ("rlimit_nofile_hard", String(limit.rlim_max)),
            ("ip_local_port_range", procValue("/proc/sys/net/ipv4/ip_local_port_range")),
            ("somaxconn", procValue("/proc/sys/net/core/somaxconn")),
            ("tcp_tw_reuse", procValue("/proc/sys/net/ipv4/tcp_tw_reuse")),
            ("tcp_max_syn_backlog", procValue("/proc/sys/net/ipv4/tcp_max_syn_backlog")),
            ("swift_version", CommandOutput.firstLine(["swift", "--version"]) ?? "unknown"),
            ("git_commit", CommandOutput.firstLine(["git", "rev-parse", "--short=12", "HEAD"]) ?? "unknown"),
        ])
    }

    public subscript(key: String) -> String? {
        entries.first { $0.key == key }?.value
    }

    /// One value from /proc, tabs folded to spaces ("32768 60999"), or "unknown".
    static func procValue(_ path: String) -> String {
        guard let text = firstLine(ofFile: path) else { return "unknown" }
        return text.split(whereSeparator: { $0 == "\t" || $0 == " " || $0 == "\n" }).joined(separator: " ")
    }

    /// The first line of a small file (up to 1 KiB, as /proc files such as PID/stat are), or nil.
    static func firstLine(ofFile path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 1024)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
