#if canImport(Glibc)
import Glibc
#endif

/// How a stop reaches a thread blocked in a read of the connection it serves, so that its session says goodbye at
/// once (``ServerSession/beginStop()``: h2's GOAWAY) rather than when the client next speaks or the read times out:
/// a signal whose handler does nothing, installed without SA_RESTART, so that the read returns EINTR. No other
/// wake-up reaches a blocking read but closing its socket, which would end the conversation instead.
///
/// SIGURG, whose default is to be ignored: one sent to a process that never installed the handler does no harm (the
/// Go runtime preempts its threads with it for the same reason).
enum StopWake {
    static let signal = SIGURG

    /// Whether the handler is installed: once per process, when first read, before any thread is sent the signal.
    static let installed: Bool = {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        return sigaction(signal, &action, nil) == 0
    }()

    /// Lets the signal reach the calling thread, a serving one: threads started from Swift's concurrency pool
    /// (Dispatch's workers) inherit its mask, which blocks every signal.
    static func unblockHere() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signal)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }
}
