import Dispatch

/// A task executor that runs the jobs of the tasks preferring it on a serial dispatch queue, whose thread comes from
/// dispatch's overcommitting pool rather than from Swift's cooperative threads (one per core). For code that must
/// resume on time beside work that blocks those threads: a test suite run in parallel on two cores has held both for
/// seconds, and a task that slept or awaited a result resumed that much late, past the end of the run it timed.
/// `withTaskExecutorPreference(QueueExecutor("name")) { ... }` moves a task there, with its child tasks.
public final class QueueExecutor: TaskExecutor, Sendable {
    private let queue: DispatchQueue

    public init(_ label: String) {
        queue = DispatchQueue(label: label)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
