#if canImport(Glibc)
import Glibc
#endif

/// The three epoll calls the driver and the epoll server model need. Swift's Glibc module map leaves out
/// <sys/epoll.h>, and this package has no C shim (SwiftNIO's CNIOLinux is the event-loop model's, not ours), so the
/// functions are looked up once with dlsym and called through `@convention(c)` types: the real C ABI, no per-call
/// cost beyond the call.
public struct Epoll {
    // The values of <sys/epoll.h>, stable kernel ABI.
    public static let readable: UInt32 = 0x001
    public static let writable: UInt32 = 0x004
    public static let error: UInt32 = 0x008
    public static let hangUp: UInt32 = 0x010
    public static let readHangUp: UInt32 = 0x2000
    public static let edgeTriggered: UInt32 = 1 << 31
    private static let controlAdd: Int32 = 1
    private static let controlModify: Int32 = 3
    private static let controlDelete: Int32 = 2
    private static let closeOnExec: Int32 = 0x80000  // O_CLOEXEC

    /// struct epoll_event is packed on x86-64 (12 bytes, data at offset 4) and naturally aligned elsewhere.
    #if arch(x86_64)
    static let eventStride = 12
    static let dataOffset = 4
    #else
    static let eventStride = 16
    static let dataOffset = 8
    #endif

    private typealias CreateFunction = @convention(c) (Int32) -> Int32
    private typealias ControlFunction = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    private typealias WaitFunction = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
    private typealias PreciseWaitFunction = @convention(c) (
        Int32, UnsafeMutableRawPointer?, Int32, UnsafePointer<timespec>?, UnsafeRawPointer?
    ) -> Int32

    private static func function<F>(_ name: String, as type: F.Type) -> F {
        guard let function = optionalFunction(name, as: type) else {
            fatalError("\(name) is missing from the C library: the driver needs Linux epoll")
        }
        return function
    }

    private static func optionalFunction<F>(_ name: String, as type: F.Type) -> F? {
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), name).map { unsafeBitCast($0, to: type) }  // RTLD_DEFAULT
    }

    private static let create = function("epoll_create1", as: CreateFunction.self)
    private static let control = function("epoll_ctl", as: ControlFunction.self)
    private static let wait = function("epoll_wait", as: WaitFunction.self)
    /// epoll_pwait2 (Linux 5.11, glibc 2.35) takes a timeout in nanoseconds: open-loop starts and think times
    /// then wake on time instead of up to a millisecond late, which would show as schedule lag.
    private static let preciseWait = optionalFunction("epoll_pwait2", as: PreciseWaitFunction.self)

    public let fd: Int32
    /// Room for `capacity` events, filled by ``wait(timeoutNanos:)``.
    private let buffer: UnsafeMutableRawPointer
    public let capacity: Int32

    public init?(capacity: Int32) {
        fd = Self.create(Self.closeOnExec)
        guard fd >= 0 else { return nil }
        self.capacity = capacity
        buffer = .allocate(byteCount: Int(capacity) * Self.eventStride, alignment: 8)
    }

    /// Closes the instance and frees the event buffer; the owner calls it once.
    public func release() {
        close(fd)
        buffer.deallocate()
    }

    /// Starts watching `socket` for `events`, tagging its events with `data`. Returns false (errno set) on failure.
    public func add(_ socket: Int32, events: UInt32, data: UInt64) -> Bool {
        control(Self.controlAdd, socket, events: events, data: data)
    }

    /// Stops watching `socket` (closing it does the same).
    public func remove(_ socket: Int32) -> Bool {
        control(Self.controlDelete, socket, events: 0, data: 0)
    }

    /// Changes what `socket` is watched for.
    public func modify(_ socket: Int32, events: UInt32, data: UInt64) -> Bool {
        control(Self.controlModify, socket, events: events, data: data)
    }

    private func control(_ operation: Int32, _ socket: Int32, events: UInt32, data: UInt64) -> Bool {
        var event = (UInt64(0), UInt64(0))  // 16 bytes, enough for either layout
        withUnsafeMutableBytes(of: &event) {
            $0.storeBytes(of: events, toByteOffset: 0, as: UInt32.self)
            $0.storeBytes(of: data, toByteOffset: Self.dataOffset, as: UInt64.self)
        }
        return withUnsafeMutableBytes(of: &event) { Self.control(fd, operation, socket, $0.baseAddress) } == 0
    }

    /// Waits up to `timeoutNanos` for events; returns how many are ready (0 on timeout or EINTR).
    public func wait(timeoutNanos: UInt64) -> Int {
        guard let preciseWait = Self.preciseWait else {
            let millis = Int32(clamping: (timeoutNanos + 999_999) / 1_000_000)  // rounded up: never spin
            return max(0, Int(Self.wait(fd, buffer, capacity, millis)))
        }
        var timeout = timespec(tv_sec: Int(timeoutNanos / 1_000_000_000), tv_nsec: Int(timeoutNanos % 1_000_000_000))
        let ready = preciseWait(fd, buffer, capacity, &timeout, nil)
        // ENOSYS: a kernel older than the C library. Wait a millisecond instead (kernels before 5.11 are rare).
        if ready < 0 && errno == ENOSYS { return max(0, Int(Self.wait(fd, buffer, capacity, 1))) }
        return max(0, Int(ready))
    }

    /// The events and data of ready event `index`.
    public func event(_ index: Int) -> (events: UInt32, data: UInt64) {
        let base = buffer + index * Self.eventStride
        let data = base.loadUnaligned(fromByteOffset: Self.dataOffset, as: UInt64.self)
        return (base.loadUnaligned(as: UInt32.self), data)
    }
}
