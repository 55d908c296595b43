/// How every model closes a connection after a refusal that ends it (``ServerSession/lingers``), as nginx's lingering
/// close does: the client may still be sending what it pipelined behind the refused request, and a close with unread
/// bytes makes the kernel send a reset that can destroy the answer before the client reads it. So the output closes
/// first, what the client still sends is read and dropped, and the whole closes once the client ends, ``byteLimit``
/// bytes have been dropped, or ``durationNanos`` has passed: long enough for a client's pipelined rest to arrive,
/// short enough that a refused client cannot hold a thread or a descriptor.
struct LingeringClose {
    static let byteLimit = 1 << 16
    static let durationNanos: UInt64 = 1_000_000_000

    let startedNanos: UInt64
    private(set) var dropped = 0

    init(now: UInt64) {
        startedNanos = now
    }

    /// `count` more bytes were read and dropped; true when that is enough and the connection closes now.
    mutating func drop(_ count: Int) -> Bool {
        dropped += count
        return dropped >= Self.byteLimit
    }

    /// When the connection closes whatever the client does.
    var endNanos: UInt64 { startedNanos + Self.durationNanos }

    func isOver(now: UInt64) -> Bool { now >= endNanos }
}
