import Dispatch

/// A task executor that runs the jobs of the tasks preferring it on a serial dispatch queue, whose thread comes from
/// dispatch's overcommitting pool rather than from Swift's cooperative threads (one per core). For code that must
/// resume on time beside work that blocks those threads: a test suite run in parallel on two cores has held both for
/// seconds, and a task that awaited there resumed that much late, past the end of the run it timed. Under
/// `withTaskExecutorPreference(executor) { ... }` a task and its child tasks run here, and a continuation resumed by
/// another thread resumes here at once; a sleep must be this executor's ``sleep(until:)``, not `Task.sleep`.
public final class QueueExecutor: TaskExecutor {
    private let queue: DispatchQueue

    public init(_ label: String) {
        queue = DispatchQueue(label: label)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// Sleeps until `deadline` by the queue's own timer. `Task.sleep`'s timer wakes the task through the global
    /// executor, whose threads are the ones held, even for a task that prefers this executor: a 300 ms sleep took
    /// 0.9 s beside a blocking task per core.
    public func sleep(until deadline: ContinuousClock.Instant) async {
        let nanos = MonotonicClock.nanos(deadline - .now)
        await withCheckedContinuation { continuation in
            queue.asyncAfter(deadline: .now() + .nanoseconds(Int(nanos))) { continuation.resume() }
        }
    }
}
