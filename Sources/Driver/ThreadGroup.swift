#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Runs a body on N dedicated POSIX threads and collects what each returns. Dedicated threads, not Swift
/// concurrency's pool: an event loop blocks in epoll_wait, which would starve the cooperative threads, and one
/// loop per core is exactly the layout the driver wants.
enum ThreadGroup {
    private final class Start: @unchecked Sendable {
        // @unchecked: `body` is a @Sendable closure, handed to exactly one thread.
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// Runs `body(0..<count)` on `count` threads. While they run, `tick` is called about every 100 ms on the
    /// calling thread (for the status line and for forwarding SIGINT). Returns the results in index order.
    static func run<T: Sendable>(
        _ count: Int, _ body: @escaping @Sendable (Int) -> T, tick: () -> Void = {}
    ) -> [T] {
        let results = Mutex<[T?]>(Array(repeating: nil, count: count))
        let finished = Atomic<Int>(0)
        let threads = (0..<count).map { index in
            spawn {
                let value = body(index)
                results.withLock { $0[index] = value }
                finished.add(1, ordering: .releasing)
            }
        }
        while finished.load(ordering: .acquiring) < count {
            tick()
            usleep(100_000)
        }
        for thread in threads { pthread_join(thread, nil) }
        return results.withLock { $0.map { $0! } }
    }

    /// Starts one thread running `body`; the caller joins it.
    static func spawn(_ body: @escaping @Sendable () -> Void) -> pthread_t {
        var thread = pthread_t()
        let start = Unmanaged.passRetained(Start(body)).toOpaque()
        let status = pthread_create(&thread, nil, { context in
            let start = Unmanaged<Start>.fromOpaque(context!).takeRetainedValue()
            start.body()
            return nil
        }, start)
        precondition(status == 0, "pthread_create failed (\(status)): the system is out of threads")
        return thread
    }
}
