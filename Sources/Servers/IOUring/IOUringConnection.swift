import Wire

#if canImport(Glibc)
import Glibc
#endif

/// One connection of an ``IOUringLoop``: the shared state of ``LoopConnection``, the requests it has in flight, and
/// the message its send hands the kernel (which must stay put until the send completes).
final class IOUringConnection: LoopConnection {
    /// A multishot receive is in flight.
    var receiving = false
    /// Its cancel was asked for (the session holds as much input as it may).
    var receiveCancelled = false
    /// A send is in flight: no other starts until it completes.
    var sending = false
    /// The connection is closing: its requests are being cancelled, and it closes once none is in flight.
    var closing = false
    let message: UnsafeMutablePointer<msghdr>
    let vectors: UnsafeMutablePointer<iovec>

    required init(_ session: any ServerSession, timeout: Duration) {
        message = .allocate(capacity: 1)
        message.initialize(to: msghdr())
        vectors = .allocate(capacity: ServerSessionLimits.pieces)
        message.pointee.msg_iov = vectors
        super.init(session, timeout: timeout)
    }

    deinit {
        message.deallocate()
        vectors.deallocate()
    }

    override func start(now: UInt64, epoch: UInt32) {
        super.start(now: now, epoch: epoch)
        receiving = false
        receiveCancelled = false
        sending = false
        closing = false
    }

    /// Whether anything is still in flight, so that the descriptor cannot be closed yet.
    var busy: Bool { receiving || sending }

    /// Points the message at `pieces`.
    func prepare(_ pieces: UnsafeBufferPointer<UnsafeRawBufferPointer>) {
        for (index, piece) in pieces.enumerated() {
            vectors[index] = iovec(iov_base: UnsafeMutableRawPointer(mutating: piece.baseAddress), iov_len: piece.count)
        }
        message.pointee.msg_iovlen = pieces.count
    }
}
