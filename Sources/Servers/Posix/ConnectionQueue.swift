#if canImport(Glibc)
import Glibc
#endif

/// The bounded hand-off from the thread-pool model's acceptor to its workers.
///
/// A mutex and two condition variables: idle workers and an acceptor waiting for room sleep in the kernel instead of
/// spinning, which matters on a small machine shared with the load generator. Each side takes the lock once per
/// connection, never per request.
final class ConnectionQueue: @unchecked Sendable {
    // @unchecked: every stored `var` is read and written only with `mutex` held.

    /// What became of a connection offered to the queue.
    enum Handoff {
        case queued
        /// Queued once a worker made room; the acceptor had found the queue full.
        case queuedAfterWaiting
        /// The queue was full and the policy says not to wait: the acceptor closes it.
        case refused
        /// The server is stopping: the acceptor closes it.
        case closed
    }

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let notEmpty = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let notFull = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var ring: [Int32]
    private var head = 0
    private var count = 0
    private var isClosed = false

    init(capacity: Int) {
        precondition(capacity >= 1, "a queue holds at least one connection")
        ring = Array(repeating: -1, count: capacity)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(notEmpty, nil)
        pthread_cond_init(notFull, nil)
    }

    deinit {
        pthread_cond_destroy(notFull)
        pthread_cond_destroy(notEmpty)
        pthread_mutex_destroy(mutex)
        notFull.deallocate()
        notEmpty.deallocate()
        mutex.deallocate()
    }

    /// Called by the acceptor with each accepted connection.
    func enqueue(_ descriptor: Int32, waitWhenFull: Bool) -> Handoff {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        var waited = false
        while count == ring.count && !isClosed {
            guard waitWhenFull else { return .refused }
            waited = true
            pthread_cond_wait(notFull, mutex)
        }
        guard !isClosed else { return .closed }
        ring[(head + count) % ring.count] = descriptor
        count += 1
        pthread_cond_signal(notEmpty)
        return waited ? .queuedAfterWaiting : .queued
    }

    /// Called by a worker for its next connection; waits for one. Nil once the queue is closed and empty.
    func dequeue() -> Int32? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while count == 0 && !isClosed { pthread_cond_wait(notEmpty, mutex) }
        guard count > 0 else { return nil }
        let descriptor = ring[head]
        head = (head + 1) % ring.count
        count -= 1
        pthread_cond_signal(notFull)
        return descriptor
    }

    /// Called by a stopping server: no connection is taken any more, and every waiting thread wakes up.
    func close() {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        isClosed = true
        pthread_cond_broadcast(notEmpty)
        pthread_cond_broadcast(notFull)
    }

    /// Called by a stop whose drain timeout has passed: closes the queued connections no worker has reached.
    func discardQueued() {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while count > 0 {
            Glibc.close(ring[head])
            head = (head + 1) % ring.count
            count -= 1
        }
        pthread_cond_broadcast(notEmpty)
    }
}
