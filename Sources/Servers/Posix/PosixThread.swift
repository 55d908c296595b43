#if canImport(Glibc)
import Glibc
#endif

/// A POSIX thread that can be joined: a stop must know that every thread it started has ended, which Foundation's
/// `Thread` cannot tell, and the blocking models need real threads that may block, not tasks of Swift's small pool.
struct PosixThread: Sendable {
    private let handle: pthread_t

    /// Starts `body` on a new thread named `name` (the kernel keeps 15 bytes; `top -H` and /proc show it).
    static func spawn(name: String, _ body: @escaping @Sendable () -> Void) throws -> PosixThread {
        let start = Unmanaged.passRetained(ThreadStart(name: name, body: body)).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, runThreadStart, start)
        guard result == 0 else {
            Unmanaged<ThreadStart>.fromOpaque(start).release()
            throw ServerStartError("cannot start thread \(name)", errno: result)
        }
        return PosixThread(handle: handle)
    }

    /// Waits until the thread has ended.
    func join() {
        pthread_join(handle, nil)
    }
}

/// The C entry point of every thread: takes back the retained ``ThreadStart`` and runs it.
private func runThreadStart(_ argument: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let start = Unmanaged<ThreadStart>.fromOpaque(argument!).takeRetainedValue()
    nameCurrentThread(start.name)
    start.body()
    return nil
}

/// Names the calling thread through /proc, since Swift's Glibc module hides the GNU pthread_setname_np; the kernel
/// keeps 15 bytes.
private func nameCurrentThread(_ name: String) {
    guard let file = fopen("/proc/thread-self/comm", "w") else { return }
    fputs(name, file)
    fclose(file)
}

/// What a new thread runs, passed through pthread_create's one pointer.
private final class ThreadStart {
    let name: String
    let body: @Sendable () -> Void

    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }
}
