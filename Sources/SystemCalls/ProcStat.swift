#if canImport(Glibc)
import Glibc
#endif

/// One /proc/PID/stat (or /proc/PID/task/TID/stat) line, read once, for every reader of one: the command name is in
/// parentheses and may hold spaces or parentheses itself, so the fields are counted after its last `)`.
public struct ProcStat: Sendable {
    /// The fields after the command name: the state first (the 3rd field of proc(5)).
    private let fields: [Substring]

    /// The stat of process `pid`; nil once it is gone.
    public init?(pid: pid_t) {
        self.init(path: "/proc/\(pid)/stat")
    }

    /// The stat at `path` (a thread's: /proc/PID/task/TID/stat); nil when it cannot be read.
    public init?(path: String) {
        guard let line = ProcFile.firstLine(path), let close = line.lastIndex(of: ")") else { return nil }
        fields = line[line.index(after: close)...].split(separator: " ")
        guard fields.count > 17 else { return nil }
    }

    /// proc(5)'s field `number` (from 1), as a number.
    private func field(_ number: Int) -> Int? { Int(fields[number - 3]) }

    /// R running, S sleeping, Z a zombie (ended, not yet reaped by its parent), and so on.
    public var state: Character? { fields.first?.first }
    public var parent: pid_t? { field(4).map(pid_t.init) }
    public var processGroup: pid_t? { field(5).map(pid_t.init) }
    public var threads: Int? { field(20) }

    /// User and system time in clock ticks (utime and stime).
    public var cpuTicks: Int? {
        guard let user = field(14), let system = field(15) else { return nil }
        return user + system
    }

    /// When the process started, in clock ticks after boot: with its id, it names one process whatever the system
    /// later gives that id to.
    public var startTicks: Int? { field(22) }

    public var cpuSeconds: Double? { cpuTicks.map { Double($0) / Double(sysconf(Int32(_SC_CLK_TCK))) } }
}
