#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import SystemCalls

/// Runs a body on N dedicated POSIX threads and collects what each returns. Dedicated threads, not Swift
/// concurrency's pool: an event loop blocks in epoll_wait, which would starve the cooperative threads, and one
/// loop per core is exactly the layout the driver wants.
enum ThreadGroup {
    /// Runs `body(0..<count)` on `count` threads. While they run, `tick` is called about every 100 ms on the
    /// calling thread (for the status line and for forwarding SIGINT). Returns the results in index order.
    static func run<T: Sendable>(
        _ count: Int, _ body: @escaping @Sendable (Int) -> T, tick: () -> Void = {}
    ) -> [T] {
        let results = Locked<[T?]>(Array(repeating: nil, count: count))
        let finished = Atomic<Int>(0)
        let threads = (0..<count).map { index in
            spawn("drv-worker-\(index)") {
                let value = body(index)
                results.withLock { $0[index] = value }
                finished.add(1, ordering: .releasing)
            }
        }
        while finished.load(ordering: .acquiring) < count {
            tick()
            usleep(100_000)
        }
        for thread in threads { thread.join() }
        return results.withLock { $0.map { $0! } }
    }

    /// Starts one thread running `body`; the caller joins or detaches it. The driver cannot run without its
    /// threads, so failing to start one ends the program with the reason.
    static func spawn(_ name: String, _ body: @escaping @Sendable () -> Void) -> PosixThread {
        do {
            return try PosixThread.spawn(name: name, body)
        } catch {
            fatalError("\(error): the system is out of threads")
        }
    }
}
