#if canImport(Glibc)
import Glibc
#endif

/// A value reached only under a pthread mutex: what the servers and the driver share between threads.
///
/// In place of the standard library's `Mutex`, whose Linux lock is a futex behind atomics that ThreadSanitizer does
/// not see (the runtime is not instrumented): every access under it then looks like a race
/// (`Tests/sanitizers.sh`, docs/sanitizers.md). ThreadSanitizer intercepts pthread_mutex_lock, so under this lock its
/// reports are the code's. Uncontended, both cost an atomic exchange to lock and one to unlock.
public final class Locked<Value>: @unchecked Sendable {
    // @unchecked: `value` is read and written only with `mutex` held.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
