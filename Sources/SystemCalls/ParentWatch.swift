#if canImport(Glibc)
import Glibc
#endif

/// A child that must not outlive its parent: the parent names itself in the child's environment, and the child
/// watches for the parent's end and then stops itself (SIGTERM, its graceful stop), which holds even when the parent
/// is killed with SIGKILL and has no chance to stop it. An environment variable rather than an option, so that a build
/// that does not know it (bench check runs older ones) simply ignores it.
///
/// Watched, not PR_SET_PDEATHSIG: the kernel sends that signal when the *thread* that spawned the child ends, and the
/// threads of Swift's pool that spawn servers end whenever they have been idle a few seconds.
public enum ParentWatch {
    /// The variable holding the parent's process id.
    public static let variable = "BENCH_PARENT_PID"

    /// The entry a parent adds to a child's environment.
    public static var entry: String { "\(variable)=\(getpid())" }

    /// Called by a child at start: when its environment names a parent, a thread looks five times a second whether
    /// this process still is that parent's child, and sends itself SIGTERM once it is not (it has been reparented:
    /// the parent is gone). A parent already gone at start ends the child at once.
    public static func adopt() {
        guard let text = getenv(variable), let parent = pid_t(String(cString: text)) else { return }
        guard getppid() == parent else { exit(0) }
        let watcher = try? PosixThread.spawn(name: "parent-watch") {
            while getppid() == parent { usleep(200_000) }
            kill(getpid(), SIGTERM)
        }
        watcher?.detach()
    }
}
