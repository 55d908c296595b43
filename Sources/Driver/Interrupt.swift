#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// SIGINT as a flag: the handler only stores into an atomic (async-signal-safe); workers look at it once per
/// turn of their event loop and stop, so what was measured so far is still merged and printed.
public enum Interrupt {
    private static let flag = Atomic<Bool>(false)

    /// Called once by `bench drive` before a run. A second Ctrl-C is left to this handler too: the run ends
    /// within 100 ms of the first anyway.
    public static func install() {
        signal(SIGINT) { _ in Interrupt.flag.store(true, ordering: .relaxed) }
    }

    /// Whether SIGINT has arrived since the process started.
    public static var requested: Bool { flag.load(ordering: .relaxed) }
}
