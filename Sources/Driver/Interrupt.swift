#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import SystemCalls

/// A stop signal (``StopSignals``: Ctrl-C, SIGTERM, SIGHUP) as a flag: the handler only stores the signal's number
/// into an atomic (async-signal-safe); workers look at it once per turn of their event loop and stop, so what was
/// measured so far is still merged and written, and the children the command started are stopped by it.
public enum Interrupt {
    /// The first stop signal's number; 0 while none has come.
    private static let received = Atomic<Int32>(0)

    /// Called once by each measuring command before it starts anything. A second signal is left to this handler too:
    /// the run ends within 100 ms of the first anyway.
    public static func install() {
        for signalNumber in StopSignals.all {
            signal(signalNumber) { number in
                _ = Interrupt.received.compareExchange(expected: 0, desired: number, ordering: .relaxed)
            }
        }
    }

    /// Whether a stop signal has arrived since the process started.
    public static var requested: Bool { received.load(ordering: .relaxed) != 0 }

    /// The exit status of a command that a stop signal ended (130 for Ctrl-C, 143 for SIGTERM).
    public static var exitStatus: Int32 { StopSignals.exitStatus(received.load(ordering: .relaxed)) }
}
