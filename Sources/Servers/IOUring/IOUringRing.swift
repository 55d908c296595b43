import CURing
import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// One io_uring of a loop of the io_uring model and its provided buffer ring: the loop prepares requests here,
/// submits them all with one system call a turn (which also waits for completions), and reads what completed.
///
/// Received bytes land in the buffer ring's buffers, which the kernel picks as data comes (no buffer is tied to an
/// idle connection); each goes back to the ring once its completion has been handled, all of a batch in one step.
/// Everything here belongs to the thread that made it, the one that may submit to it (IORING_SETUP_SINGLE_ISSUER):
/// the kernel ties a ring to the threads that made or used it, and when it is closed interrupts each of them once
/// (a blocking call there fails with EINTR), so no ring is ever made on a thread that does anything else.
final class IOUringRing {
    /// What one completion says, its received bytes (if any) valid until the handler returns.
    struct Completion {
        let userData: UInt64
        let result: Int32
        /// More completions follow for the same (multishot) request.
        let more: Bool
        let bytes: UnsafeRawBufferPointer?
    }

    /// Submissions prepared at once before the queue is flushed early; completions the kernel keeps for the loop
    /// (more than submissions: multishot requests complete many times, and a turn reads them all).
    static let submissionEntries: UInt32 = 1024
    static let completionEntries: UInt32 = 8192
    /// 512 buffers of 16 KiB (8 MiB a loop): a whole TLS record fits in one, and as many connections as a turn
    /// sees at once can each have a chunk in flight. Past that a receive ends with ENOBUFS and is made again.
    static let bufferCount: UInt32 = 512
    static let bufferBytes = 16 << 10
    private static let bufferGroup: Int32 = 0
    private static let batch = 256

    private let ring: UnsafeMutablePointer<io_uring>
    private let buffers: UnsafeMutablePointer<io_uring_buf_ring>
    private let memory: UnsafeMutableRawPointer
    private let ready: UnsafeMutablePointer<UnsafeMutablePointer<io_uring_cqe>?>

    /// Why io_uring cannot serve here, or nil when a ring as the model needs can be made: found once a process, by
    /// making one on a thread of its own (see above).
    static let refusal: String? = {
        let found = Locked<String?>(nil)
        do {
            try PosixThread.spawn(name: "uring-probe") {
                do throws(ServerUnavailable) {
                    try IOUringRing().release()
                } catch {
                    found.withLock { $0 = error.reason }
                }
            }.join()
        } catch {
            return "no thread to try io_uring on: \(error)"
        }
        return found.withLock { $0 }
    }()

    /// A ring with its buffer ring registered, for the calling thread; throws when the system refuses either.
    init() throws(ServerUnavailable) {
        // The one place a refusal can be simulated, so that the paths that skip the model are tested on a kernel
        // that allows it (docs/io-uring.md).
        if getenv("BENCH_IO_URING_REFUSE").map({ String(cString: $0) }) == "1" {
            throw ServerUnavailable("io_uring refused (simulated by BENCH_IO_URING_REFUSE=1)")
        }
        ring = .allocate(capacity: 1)
        var parameters = io_uring_params()
        // Completions are delivered when the loop waits for them, not by interrupting it (DEFER_TASKRUN, Linux 6.1,
        // which needs a single submitting thread): the kernel's work for a batch is done in one go.
        parameters.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN
        parameters.cq_entries = Self.completionEntries
        let made = io_uring_queue_init_params(Self.submissionEntries, ring, &parameters)
        guard made == 0 else {
            ring.deallocate()
            throw ServerUnavailable(Self.explain("io_uring_queue_init", -made))
        }
        var error: Int32 = 0
        guard let buffers = shim_io_uring_setup_buf_ring(ring, Self.bufferCount, Self.bufferGroup, &error) else {
            io_uring_queue_exit(ring)
            ring.deallocate()
            throw ServerUnavailable(Self.explain("a provided buffer ring", -error))
        }
        self.buffers = buffers
        memory = .allocate(byteCount: Int(Self.bufferCount) * Self.bufferBytes, alignment: 4096)
        for id in 0..<Int(Self.bufferCount) {
            io_uring_buf_ring_add(
                buffers, memory + id * Self.bufferBytes, UInt32(Self.bufferBytes), UInt16(id),
                io_uring_buf_ring_mask(Self.bufferCount), Int32(id))
        }
        io_uring_buf_ring_advance(buffers, Int32(Self.bufferCount))
        ready = .allocate(capacity: Self.batch)
    }

    private static func explain(_ what: String, _ code: Int32) -> String {
        let cause = String(cString: strerror(code))
        return switch code {
        case ENOSYS: "\(what): \(cause) (a kernel without io_uring)"
        case EPERM: "\(what): \(cause) (kernel.io_uring_disabled, or a seccomp filter)"
        case EINVAL: "\(what): \(cause) (a kernel older than Linux 6.1)"
        default: "\(what): \(cause)"
        }
    }

    /// Unregisters the buffers and closes the ring; the kernel cancels whatever is still in flight.
    func release() {
        shim_io_uring_free_buf_ring(ring, buffers, Self.bufferCount, Self.bufferGroup)
        io_uring_queue_exit(ring)
        ring.deallocate()
        memory.deallocate()
        ready.deallocate()
    }

    // MARK: Preparing

    /// A free submission entry; when all are taken, those prepared go to the kernel first.
    private func entry() -> UnsafeMutablePointer<io_uring_sqe> {
        if let sqe = io_uring_get_sqe(ring) { return sqe }
        _ = io_uring_submit(ring)
        return io_uring_get_sqe(ring)!
    }

    /// Accepts on `listener` until cancelled or a failure, one completion (the new descriptor) per connection.
    func acceptAll(_ listener: Int32, userData: UInt64) {
        let sqe = entry()
        io_uring_prep_multishot_accept(sqe, listener, nil, nil, Int32(SOCK_CLOEXEC.rawValue))
        io_uring_sqe_set_data64(sqe, userData)
    }

    /// Receives from `fd` into the buffer ring's buffers, a completion per chunk, until cancelled, the client's
    /// end, a failure, or no buffer is free.
    func receiveAll(_ fd: Int32, userData: UInt64) {
        let sqe = entry()
        io_uring_prep_recv_multishot(sqe, fd, nil, 0, 0)
        shim_io_uring_sqe_select_buffer(sqe, UInt16(Self.bufferGroup))
        io_uring_sqe_set_data64(sqe, userData)
    }

    /// Sends `message`'s vectors to `fd` (which must stay valid until it completes); a peer gone is an EPIPE, not a
    /// SIGPIPE.
    func send(_ fd: Int32, _ message: UnsafePointer<msghdr>, userData: UInt64) {
        let sqe = entry()
        io_uring_prep_sendmsg(sqe, fd, message, UInt32(MSG_NOSIGNAL))
        io_uring_sqe_set_data64(sqe, userData)
    }

    /// Cancels the request made with `target`; its own completion comes as `userData`.
    func cancel(_ target: UInt64, userData: UInt64) {
        let sqe = entry()
        io_uring_prep_cancel64(sqe, target, 0)
        io_uring_sqe_set_data64(sqe, userData)
    }

    /// Cancels every request on `fd`.
    func cancelAll(_ fd: Int32, userData: UInt64) {
        let sqe = entry()
        io_uring_prep_cancel_fd(sqe, fd, UInt32(IORING_ASYNC_CANCEL_ALL))
        io_uring_sqe_set_data64(sqe, userData)
    }

    func close(_ fd: Int32, userData: UInt64) {
        let sqe = entry()
        io_uring_prep_close(sqe, fd)
        io_uring_sqe_set_data64(sqe, userData)
    }

    // MARK: Completing

    /// Submits everything prepared and waits until a completion is ready or `timeoutNanos` have passed: one
    /// system call.
    func submitAndWait(timeoutNanos: UInt64) {
        var timeout = __kernel_timespec(
            tv_sec: Int64(timeoutNanos / 1_000_000_000), tv_nsec: Int64(timeoutNanos % 1_000_000_000))
        var first: UnsafeMutablePointer<io_uring_cqe>?
        _ = io_uring_submit_and_wait_timeout(ring, &first, 1, &timeout, nil)
    }

    /// Submits everything prepared, without waiting.
    func submit() {
        _ = io_uring_submit(ring)
    }

    /// Hands `body` every completion ready now, in order, and gives their buffers back to the buffer ring.
    func complete(_ body: (Completion) -> Void) {
        while true {
            let count = Int(io_uring_peek_batch_cqe(ring, ready, UInt32(Self.batch)))
            guard count > 0 else { return }
            var recycled: Int32 = 0
            for index in 0..<count {
                let cqe = ready[index]!.pointee
                var bytes: UnsafeRawBufferPointer?
                if cqe.flags & IORING_CQE_F_BUFFER != 0 {
                    let id = Int(cqe.flags >> IORING_CQE_BUFFER_SHIFT)
                    let start = memory + id * Self.bufferBytes
                    bytes = UnsafeRawBufferPointer(start: start, count: max(0, Int(cqe.res)))
                    io_uring_buf_ring_add(
                        buffers, start, UInt32(Self.bufferBytes), UInt16(id), io_uring_buf_ring_mask(Self.bufferCount),
                        recycled)
                    recycled += 1
                }
                body(Completion(
                    userData: cqe.user_data, result: cqe.res, more: cqe.flags & IORING_CQE_F_MORE != 0, bytes: bytes))
            }
            io_uring_cq_advance(ring, UInt32(count))
            if recycled > 0 { io_uring_buf_ring_advance(buffers, recycled) }
            guard count == Self.batch else { return }
        }
    }
}
