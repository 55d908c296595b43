#if canImport(Glibc)
import Glibc
#endif

/// The echo's client side: what is sent is a stretch of a ``RandomPool`` the driver sends from, cyclically, so what
/// comes back is compared with the pool at the same place and neither side keeps a copy. A byte beyond the end is a
/// bad response.
final class EchoClientSession: ClientSession {
    private let content: RandomPool
    /// The exchange: `size` bytes of the content from `offset`, cyclically.
    private var offset = 0
    private var size = 0
    private var received = 0
    private(set) var outstanding = 0
    private var announced = false
    private var bad = false

    init(content: RandomPool) {
        self.content = content
    }

    func reset() {
        outstanding = 0
        received = 0
        announced = false
        bad = false
    }

    var canSend: Bool { false }
    var requestCapacity: Int { 0 }

    func beginExchange(size: Int, offset: Int) {
        precondition(outstanding == 0, "one echo per connection")
        self.offset = offset % content.bytes.count
        self.size = size
        outstanding = 1
    }

    func exchangeBytes(at position: Int, limit: Int) -> UnsafeRawBufferPointer {
        let pool = content.bytes
        let start = (offset + position) % pool.count
        return UnsafeRawBufferPointer(rebasing: pool[start..<(start + min(limit, size - position, pool.count - start))])
    }

    func next(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (end: Int, event: ClientEvent?) {
        guard !bad, start < bytes.count else { return (bytes.count, nil) }
        guard outstanding > 0 else {
            bad = true
            return (bytes.count, .bad)
        }
        if !announced {
            announced = true
            return (start, .firstByte)
        }
        let expected = exchangeBytes(at: received, limit: bytes.count - start)
        guard memcmp(bytes.baseAddress! + start, expected.baseAddress!, expected.count) == 0 else {
            bad = true
            return (bytes.count, .mismatch)
        }
        received += expected.count
        guard received == size else { return (start + expected.count, nil) }
        outstanding = 0
        return (start + expected.count, .response(.valid))
    }

    func receiveEnd() -> (event: ClientEvent?, ending: ConnectionEnding) {
        if bad { return (nil, .mismatch) }
        return (nil, outstanding == 0 ? .complete : .closedEarly)
    }
}
