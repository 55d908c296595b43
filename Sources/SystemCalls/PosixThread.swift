#if canImport(Glibc)
import Glibc
#endif

/// A POSIX thread: the one thread wrapper of the project. Servers and the driver need real threads that may block
/// (in accept, recv, epoll_wait), not tasks of Swift's small cooperative pool, and a stop must know that every
/// thread it started has ended, which Foundation's `Thread` cannot tell.
public struct PosixThread: Sendable {
    /// Why a thread could not be started: pthread_create's error.
    public struct SpawnError: Error, CustomStringConvertible {
        public let code: Int32
        public let name: String
        public var description: String { "cannot start thread \(name): \(String(cString: strerror(code)))" }
    }

    private let handle: pthread_t

    /// Starts `body` on a new thread named `name` (the kernel keeps 15 bytes; `top -H` and /proc show it), with a
    /// stack of `stackBytes` when given (the default is 8 MiB of address space, mostly untouched).
    public static func spawn(name: String, stackBytes: Int? = nil, _ body: @escaping @Sendable () -> Void)
        throws(SpawnError) -> PosixThread
    {
        let start = Unmanaged.passRetained(ThreadStart(name: name, body: body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        if let stackBytes { pthread_attr_setstacksize(&attributes, stackBytes) }
        var handle = pthread_t()
        let result = pthread_create(&handle, &attributes, runThreadStart, start)
        guard result == 0 else {
            Unmanaged<ThreadStart>.fromOpaque(start).release()
            throw SpawnError(code: result, name: name)
        }
        return PosixThread(handle: handle)
    }

    /// Runs blocking `work` on a thread of its own and returns its result, so that the wait holds none of Swift's few
    /// cooperative threads. Should no thread start, the work runs on the caller's: a result late, never one lost
    /// (Foundation's `Thread.detachNewThread` cannot say that it failed, and its continuation is then never resumed).
    public static func offload<T: Sendable>(_ name: String, _ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            do {
                try spawn(name: name) { continuation.resume(returning: work()) }.detach()
            } catch {
                continuation.resume(returning: work())
            }
        }
    }

    /// Waits until the thread has ended.
    public func join() {
        pthread_join(handle, nil)
    }

    /// Lets the thread end on its own: nobody will join it.
    public func detach() {
        pthread_detach(handle)
    }
}

/// The C entry point of every thread: takes back the retained ``ThreadStart`` and runs it.
private func runThreadStart(_ argument: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let start = Unmanaged<ThreadStart>.fromOpaque(argument!).takeRetainedValue()
    PosixThread.nameCurrent(start.name)
    start.body()
    return nil
}

extension PosixThread {
    /// Names the calling thread (one another library started, too): its first 15 bytes, all the kernel keeps (a
    /// longer name is refused, not cut).
    public static func nameCurrent(_ name: String) {
        guard let setName else { return }
        let bytes = name.utf8.prefix(15).map { CChar(bitPattern: $0) } + [0]
        _ = setName(pthread_self(), bytes)
    }

    /// pthread_setname_np, a GNU extension the Glibc module does not export, looked up at run time. Not a write to
    /// /proc/thread-self/comm: that takes a descriptor, which a thread started at the descriptor limit has none of,
    /// and which another process reading this one's descriptor table (a test about to lower its limit) sees.
    private typealias SetName = @convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32
    private static let setName: SetName? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pthread_setname_np")
        .map { unsafeBitCast($0, to: SetName.self) }
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
