import Atomics
import SystemCalls
import Synchronization

/// A running blocking or thread-pool server: its listeners, its threads, each thread's counters and connection slot,
/// and the one way to end them all.
final class ThreadedRun: Sendable {
    let listeners: ListenerSet
    /// One set per thread, summed for a snapshot.
    let counters: [CounterCells]
    /// One per thread: the connection it is serving, if any.
    let slots: [ConnectionSlot]
    private let stopping = ManagedAtomic(false)
    /// Threads whose body has not returned yet.
    private let running = ManagedAtomic(0)
    private let threads = Locked<[PosixThread]>([])
    private let wake: @Sendable () -> Void
    private let force: @Sendable () -> Void

    /// Listens as `configuration` says on `listeners` sockets, then lets `spawnThreads` start the model's threads on
    /// the new run; if that fails, stops what was started before it rethrows. `wake` and `force` are the model's part
    /// of a stop: `wake` runs right after the listeners close, for threads that wait on something other than
    /// `accept`; `force` runs when the drain timeout has passed, to end the model's own waits (a queue).
    static func start(
        _ configuration: ServerConfiguration,
        threadCount: Int,
        listeners: Int = 1,
        wake: @escaping @Sendable () -> Void = {},
        force: @escaping @Sendable () -> Void = {},
        spawnThreads: (ThreadedRun) throws -> Void
    ) async throws -> ThreadedRun {
        let run = ThreadedRun(
            listeners: try ListenerSet(configuration, count: listeners), threadCount: threadCount, wake: wake,
            force: force)
        do {
            try spawnThreads(run)
        } catch {
            await run.stop(drainTimeout: .zero)
            throw error
        }
        return run
    }

    private init(
        listeners: ListenerSet, threadCount: Int, wake: @escaping @Sendable () -> Void,
        force: @escaping @Sendable () -> Void
    ) {
        self.listeners = listeners
        counters = (0..<threadCount).map { _ in CounterCells() }
        slots = (0..<threadCount).map { _ in ConnectionSlot() }
        self.wake = wake
        self.force = force
    }

    /// Whether a stop has begun; accept loops end when it holds.
    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    var snapshot: ServerCounters { ServerCounters(summing: counters) }

    /// Starts a thread running `body`, which should use the counters and slot of one index only. Its name is `role`
    /// and the port (`srv-acc-5050`, `srv-w12-5050`; the kernel keeps 15 bytes), so that `top -H` and the tests tell the threads of two servers apart.
    func spawn(_ role: String, _ body: @escaping @Sendable () -> Void) throws {
        running.wrappingIncrement(ordering: .acquiringAndReleasing)
        do {
            let thread = try PosixThread.spawn(name: "srv-\(role)-\(listeners.address.port)") { [running] in
                body()
                running.wrappingDecrement(ordering: .acquiringAndReleasing)
            }
            threads.withLock { $0.append(thread) }
        } catch {
            running.wrappingDecrement(ordering: .acquiringAndReleasing)
            throw ServerStartError(error.description)
        }
    }

    /// Stops accepting, tells the threads (``ConnectionSlot/wakeForStop()``), lets them finish their connections for
    /// up to `drainTimeout`, then forces the rest:
    /// every slot's connection is shut down, and the model's `force` runs. Returns once every thread has been joined
    /// and the listeners closed; a second call returns at once.
    func stop(drainTimeout: Duration) async {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        listeners.shutdown()
        wake()
        let drained = await Drain.wait(upTo: drainTimeout) { [self] in
            for slot in slots { slot.wakeForStop() }
            return running.load(ordering: .acquiring) == 0
        }
        if !drained {
            for slot in slots { slot.force() }
            force()
        }
        // Every thread has ended or is about to: nothing it could block in is left unwoken, so these joins block
        // this task's thread for moments at most.
        for thread in threads.withLock({ $0 }) { thread.join() }
        listeners.close()
    }
}
