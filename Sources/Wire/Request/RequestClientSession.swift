/// The request protocol's client side: answers come in order and are random, so checking one is counting its bytes;
/// a byte beyond what was asked is a bad response.
final class RequestClientSession: ClientSession {
    private var ring: RequestRing
    /// Bytes of the oldest outstanding answer received so far, and whether its first byte was announced.
    private var received = 0
    private var announced = false
    private var bad = false
    private(set) var lastRequest = 0
    private(set) var eventRequest = 0

    init(_ settings: ClientSessionSettings) {
        ring = RequestRing(depth: settings.pipelineDepth)
    }

    func reset() {
        ring.reset()
        received = 0
        announced = false
        bad = false
        lastRequest = 0
        eventRequest = 0
    }

    var outstanding: Int { ring.outstanding }
    var canSend: Bool { !ring.isFull }
    var requestCapacity: Int { RequestHeader.length }

    func writeRequest(_ size: UInt32, last: Bool, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        precondition(canSend, "request sent beyond the pipeline depth")
        lastRequest = ring.push(size)
        RequestHeader.write(size, into: buffer)
        return RequestHeader.length
    }

    func next(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (end: Int, event: ClientEvent?) {
        guard !bad, start < bytes.count else { return (bytes.count, nil) }
        guard ring.outstanding > 0 else {
            bad = true
            return (bytes.count, .bad)
        }
        if !announced {
            // Said before the byte is taken, so that a 1-byte answer still ends within the same chunk.
            announced = true
            eventRequest = ring.head
            return (start, .firstByte)
        }
        let take = min(bytes.count - start, Int(ring.oldest) - received)
        received += take
        guard received == Int(ring.oldest) else { return (start + take, nil) }
        received = 0
        announced = false
        eventRequest = ring.pop()
        return (start + take, .response(.valid))
    }

    func receiveEnd() -> (event: ClientEvent?, ending: ConnectionEnding) {
        if bad { return (nil, .badResponse) }
        return (nil, ring.outstanding == 0 ? .complete : .closedEarly)
    }
}
