/// The request protocol's server side: it owes a count of random bytes, rendered as slices of the pool once the
/// previous ones are sent. A size of 0 or over the maximum closes the connection at once, with nothing allocated.
final class RequestServerSession: ServerSession {
    private let settings: ServerSessionSettings
    private let pool: RandomPool
    private var output = OutputPieces()
    private var header = FixedHeader(length: RequestHeader.length)
    /// Bytes owed but not yet rendered, and the requests they answer.
    private var owedBytes = 0
    private var unanswered = 0
    private var inputEnded = false
    /// The client broke the protocol: nothing more is read or sent.
    private var closeNow = false
    /// Draws each request's work (`--work`).
    private var workRandom = WyRand()

    init(_ settings: ServerSessionSettings) {
        self.settings = settings
        pool = settings.pool!
    }

    deinit {
        output.deallocate()
    }

    func reset() {
        output.reset()
        header.reset()
        owedBytes = 0
        unanswered = 0
        inputEnded = false
        closeNow = false
    }

    var wantsInput: Bool { !closeNow && !inputEnded && owesNothing }
    var owesNothing: Bool { owedBytes == 0 && output.isEmpty }
    var isFinished: Bool { closeNow || (owesNothing && inputEnded) }

    func receive(_ bytes: UnsafeRawBufferPointer) -> SessionInput {
        guard !closeNow else { return SessionInput(consumed: bytes.count) }
        var received = SessionInput(consumed: bytes.count)
        for byte in bytes {
            guard let value = header.take(byte) else { continue }
            let size = UInt32(truncatingIfNeeded: value)
            guard size >= 1 && size <= settings.maxRequestBytes else {
                closeNow = true
                received.protocolErrors = 1
                return received
            }
            owedBytes += Int(size)
            unanswered += 1
            if !settings.work.isNone { received.work.add(settings.work.draw(using: &workRandom)) }
        }
        return received
    }

    /// What was asked is still answered, then the connection closes; a header cut short is a protocol error. Its whole
    /// requests are answered even so: whether an answer had been gathered when the end came depends on the model's
    /// timing (a send in flight defers the next gather), and the client's view must not.
    func receiveEnd() -> SessionInput {
        inputEnded = true
        return SessionInput(protocolErrors: header.isPartial && !closeNow ? 1 : 0)
    }

    func gather(using random: inout WyRand) -> UnsafeBufferPointer<UnsafeRawBufferPointer> {
        guard !closeNow else { return output.unsent }
        output.makeRoom(for: 1)
        while owedBytes > 0 && output.room > 0 {
            let slice = pool.slice(min(owedBytes, pool.maxSlice), using: &random)
            owedBytes -= slice.count
            output.append(slice, completing: owedBytes == 0 ? unanswered : 0)
            if owedBytes == 0 { unanswered = 0 }
        }
        return output.unsent
    }

    func advance(_ byteCount: Int) -> Int { output.advance(byteCount).completed }
}
