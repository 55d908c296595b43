import Atomics
import NIOCore
import Wire

/// What the connections of one event loop share: its random generator, its copy of the response pool and its
/// counters. Only that loop's thread touches it (it travels in a `NIOLoopBoundBox`), so nothing is synchronised.
final class LoopResources {
    var random = WyRand()
    let counters: CounterCells
    /// The response pool as a ByteBuffer; nil when the server speaks the greeting protocol.
    let pooledBytes: PooledBytes?
    let maxRequestBytes: UInt32
    /// Set by a stop just before it closes the connections left after the drain timeout, so that those are not
    /// counted as lost by the client. Read only when a connection closes early, never on the hot path.
    let isClosingAll: ManagedAtomic<Bool>

    init(pool: RandomPool?, counters: CounterCells, maxRequestBytes: UInt32, isClosingAll: ManagedAtomic<Bool>) {
        self.counters = counters
        pooledBytes = pool.map(PooledBytes.init)
        self.maxRequestBytes = maxRequestBytes
        self.isClosingAll = isClosingAll
    }

    /// Called by a handler whose channel closed: counts a reset unless the conversation had ended or a stop cut it.
    func connectionClosed(conversationEnded: Bool) {
        counters.add(.closed)
        if !conversationEnded && !isClosingAll.load(ordering: .relaxed) { counters.add(.resets) }
    }
}

/// A ``RandomPool``'s bytes in one ByteBuffer, from which every response is a `getSlice`: a slice shares the
/// buffer's storage, so a response of any size costs no copy and no allocation of bytes.
///
/// Each event loop holds its own copy (2 MiB), so the reference counting those slices do stays on one core.
struct PooledBytes {
    private let pool: RandomPool
    private let buffer: ByteBuffer

    init(pool: RandomPool) {
        self.pool = pool
        buffer = ByteBuffer(bytes: pool.bytes)
    }

    /// The largest slice one write takes.
    var maxSlice: Int { pool.maxSlice }

    /// `count` (1...maxSlice) random bytes at a random offset, chosen by the pool as for the blocking models.
    func slice(_ count: Int, using random: inout WyRand) -> ByteBuffer {
        let bytes = pool.slice(count, using: &random)
        let offset = bytes.baseAddress! - pool.bytes.baseAddress!
        return buffer.getSlice(at: buffer.readerIndex + offset, length: count)!
    }
}
