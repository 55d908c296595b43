#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The connection one thread is serving, held where a stop can reach it: when the drain timeout has passed, the stop
/// shuts it down, which wakes the thread from its blocking read or write.
///
/// The lock makes that shutdown and the thread's close exclusive. Without it a stop could shut down a descriptor
/// number the thread had just closed and the process had reused for something else. It is taken twice per
/// connection, never per request, and contended only during a stop.
final class ConnectionSlot: Sendable {
    private struct State {
        var descriptor: Int32 = -1
        var forced = false
    }

    private let state = Mutex(State())

    /// Called by the serving thread before it serves `descriptor`; false once the stop has been forced, and the
    /// thread must then close `descriptor` unserved.
    func occupy(_ descriptor: Int32) -> Bool {
        state.withLock { state in
            guard !state.forced else { return false }
            state.descriptor = descriptor
            return true
        }
    }

    /// Called by the serving thread when it is done with the connection: closes it.
    func release() {
        state.withLock { state in
            Glibc.close(state.descriptor)
            state.descriptor = -1
        }
    }

    /// Whether a stop has forced connections closed; a failure the serving thread meets then is the stop's doing,
    /// not the client's.
    var isForced: Bool { state.withLock { $0.forced } }

    /// Called by a stop whose drain timeout has passed: ends the connection in progress (its blocked read returns
    /// 0, its blocked write fails with EPIPE) and refuses any further one.
    func force() {
        state.withLock { state in
            state.forced = true
            if state.descriptor >= 0 { _ = shutdown(state.descriptor, Int32(SHUT_RDWR)) }
        }
    }
}
