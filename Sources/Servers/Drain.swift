#if canImport(Glibc)
import Glibc
#endif
import SystemCalls

/// How a stopping server waits for its connections or threads to end: with a deadline, always.
enum Drain {
    /// Checks `isDone` every 5 ms until it holds or `timeout` has passed, and says whether it held; a cancelled task
    /// stops waiting at once.
    ///
    /// Polling, not a wake-up: a stop happens once and takes milliseconds, while a wake-up would cost every
    /// connection's hot path a check for a waiting stopper. The polls sleep on a thread of their own, not by
    /// `Task.sleep`: Dispatch opens the timerfd of a clock when its first timer is armed, and a server stopped with
    /// its descriptors all taken (the moment a stop matters most) had none to open: its sleeps ended whenever
    /// something else woke Dispatch, 0.7 s or 3.7 s into a drain of 3 s. Should no thread start, the polls hold the
    /// caller's thread instead (``PosixThread/offload(_:_:)``): a stop that holds one of Swift's threads, never one
    /// without a deadline.
    static func wait(upTo timeout: Duration, until isDone: @escaping @Sendable () -> Bool) async -> Bool {
        let cancelled = Locked(false)
        return await withTaskCancellationHandler {
            await PosixThread.offload("drain") {
                let deadline = ContinuousClock.now + timeout
                while !isDone() {
                    guard ContinuousClock.now < deadline else { return false }
                    if cancelled.withLock({ $0 }) { return isDone() }  // stop at once, closing what is left
                    usleep(5_000)
                }
                return true
            }
        } onCancel: {
            cancelled.withLock { $0 = true }
        }
    }
}
