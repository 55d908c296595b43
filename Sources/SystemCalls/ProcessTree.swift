#if canImport(Glibc)
import Glibc
#endif

/// The processes below a process, through the parent links of /proc: those a kill of the process or of its group
/// misses (a child that made a group or session of its own, as a build's compiler jobs may), so that whatever a
/// command started can be ended, and a test can count what was left running.
public enum ProcessTree {
    /// One process: its id and when it started, so that an id the system has since given to another process is not
    /// taken for it.
    public struct Member: Hashable, Sendable {
        public let pid: pid_t
        let started: Int

        /// Whether it still runs: not ended, not a zombie (ended, waiting for its parent to reap it), not another
        /// process under the same id.
        public var isRunning: Bool {
            guard let stat = ProcStat(pid: pid) else { return false }
            return stat.startTicks == started && stat.state != "Z"
        }
    }

    /// Every process below `pid` now: its children, theirs, and so on.
    public static func below(_ pid: pid_t) -> Set<Member> {
        var children: [pid_t: [Member]] = [:]
        for name in ProcFile.entries("/proc") ?? [] {
            guard let id = pid_t(name), let stat = ProcStat(pid: id), let parent = stat.parent,
                let started = stat.startTicks
            else { continue }
            children[parent, default: []].append(Member(pid: id, started: started))
        }
        var found: Set<Member> = []
        var parents = [pid]
        while let parent = parents.popLast() {
            for child in children[parent] ?? [] where found.insert(child).inserted { parents.append(child.pid) }
        }
        return found
    }

    /// SIGKILL to every one of `members` that still runs.
    public static func kill(_ members: Set<Member>) {
        for member in members where member.isRunning { Glibc.kill(member.pid, SIGKILL) }
    }
}
