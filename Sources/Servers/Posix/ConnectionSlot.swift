import Atomics
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import SystemCalls

/// The connection one thread is serving, held where a stop can reach it: when the drain timeout has passed, the stop
/// shuts it down, which wakes the thread from its blocking read or write.
///
/// It also carries a stop's beginning to the thread (``isStopping``), and wakes the thread from a blocking read to hear
/// it (``StopWake``).
///
/// The lock makes that shutdown and the thread's close exclusive. Without it a stop could shut down a descriptor
/// number the thread had just closed and the process had reused for something else. It is taken twice per
/// connection, never per request, and contended only during a stop.
final class ConnectionSlot: Sendable {
    private struct State {
        var descriptor: Int32 = -1
        var forced = false
        /// The serving thread, while it serves.
        var thread: pthread_t?
    }

    private let state = Locked(State())
    /// Atomics, not the lock: the serving thread reads `stopping` between every two reads.
    private let stopping = ManagedAtomic(false)
    private let stopNoticed = ManagedAtomic(false)

    /// Called by the serving thread before it serves `descriptor`; false once the stop has been forced, and the
    /// thread must then close `descriptor` unserved.
    func occupy(_ descriptor: Int32) -> Bool {
        state.withLock { state in
            guard !state.forced else { return false }
            state.descriptor = descriptor
            state.thread = pthread_self()
            return true
        }
    }

    /// Called by the serving thread when it is done with the connection: closes it.
    func release() {
        state.withLock { state in
            Glibc.close(state.descriptor)
            state.descriptor = -1
            state.thread = nil
        }
    }

    /// Whether the server has begun to stop: the serving thread then tells its session, and calls ``noticeStop()``.
    var isStopping: Bool { stopping.load(ordering: .relaxed) }

    /// Called by the serving thread once it has told its session of the stop: it needs no more waking.
    func noticeStop() {
        stopNoticed.store(true, ordering: .relaxed)
    }

    /// Called by a stop as it begins, and again as it waits for the threads: until the serving thread has noticed,
    /// it is woken from its blocking read, as a signal that comes just before the thread enters the read is lost.
    func wakeForStop() {
        stopping.store(true, ordering: .relaxed)
        guard !stopNoticed.load(ordering: .relaxed) else { return }
        guard StopWake.installed else { return }
        state.withLock { state in
            if state.descriptor >= 0, let thread = state.thread { pthread_kill(thread, StopWake.signal) }
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
