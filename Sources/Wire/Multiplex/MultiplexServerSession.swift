/// The multiplex protocol's server side: the answers owed, a ring in round-robin order, each rendered one frame at a
/// time; an answer with more to send goes to the back of the ring. A size of 0 or over the maximum closes the
/// connection at once.
final class MultiplexServerSession: ServerSession {
    /// Frames are rendered no further ahead of the socket than this, so that a small answer that arrives later is not
    /// queued behind a MiB of frames already gathered; the socket's unsent limit is the same. Four frames, as h2's
    /// DATA (``HTTP2ServerSession/renderedAhead``, which says why).
    static let renderedAhead = 4 * MultiplexFrame.maxPayload
    /// Frame heads: at most 128 between two moments when every piece is sent.
    private static let headSpace = 1024

    private let settings: ServerSessionSettings
    private let pool: RandomPool
    private let heads = UnsafeMutableRawBufferPointer.allocate(byteCount: headSpace, alignment: 16)
    private var headsEnd = 0
    private var output = OutputPieces()
    private var header = FixedHeader(length: MultiplexFrame.requestLength)
    /// The answers owed, a ring: ids and bytes still to frame.
    private var owedIDs = [UInt32](repeating: 0, count: ServerSessionLimits.pendingAnswers)
    private var owedLeft = [Int](repeating: 0, count: ServerSessionLimits.pendingAnswers)
    private var owedHead = 0
    private var owedCount = 0
    private var inputEnded = false
    private var closeNow = false
    /// Draws each request's work (`--work`).
    private var workRandom = WyRand()

    init(_ settings: ServerSessionSettings) {
        self.settings = settings
        pool = settings.pool!
    }

    deinit {
        heads.deallocate()
        output.deallocate()
    }

    func reset() {
        output.reset()
        headsEnd = 0
        header.reset()
        owedHead = 0
        owedCount = 0
        inputEnded = false
        closeNow = false
    }

    var wantsInput: Bool { !closeNow && !inputEnded && owedCount < ServerSessionLimits.pendingAnswers }
    var owesNothing: Bool { owedCount == 0 && output.isEmpty }
    var isFinished: Bool { closeNow || (owesNothing && inputEnded) }

    func receive(_ bytes: UnsafeRawBufferPointer) -> SessionInput {
        guard !closeNow else { return SessionInput(consumed: bytes.count) }
        var received = SessionInput()
        var index = 0
        while index < bytes.count && owedCount < ServerSessionLimits.pendingAnswers {
            let byte = bytes[index]
            index += 1
            guard let value = header.take(byte) else { continue }
            let (id, size) = (UInt32(truncatingIfNeeded: value >> 32), UInt32(truncatingIfNeeded: value))
            guard size >= 1 && size <= settings.maxRequestBytes else {
                closeNow = true
                received.protocolErrors = 1
                received.consumed = bytes.count
                return received
            }
            owe(id, Int(size))
            if !settings.work.isNone { received.work.add(settings.work.draw(using: &workRandom)) }
        }
        received.consumed = index
        return received
    }

    /// What was asked is still answered, then the connection closes; a request cut short is a protocol error. Its whole
    /// requests are answered even so: whether an answer had been gathered when the end came depends on the model's
    /// timing (a send in flight defers the next gather), and the client's view must not.
    func receiveEnd() -> SessionInput {
        inputEnded = true
        return SessionInput(protocolErrors: header.isPartial && !closeNow ? 1 : 0)
    }

    private func owe(_ id: UInt32, _ bytes: Int) {
        let tail = (owedHead + owedCount) % ServerSessionLimits.pendingAnswers
        owedIDs[tail] = id
        owedLeft[tail] = bytes
        owedCount += 1
    }

    /// One frame of the oldest owed answer at a time, which then goes to the back of the ring if it has more: the
    /// round-robin that lets small answers overtake large ones.
    func gather(using random: inout WyRand) -> UnsafeBufferPointer<UnsafeRawBufferPointer> {
        guard !closeNow else { return output.unsent }
        // A frame takes two pieces: make room before the last one is taken.
        output.makeRoom(for: 2)
        var ahead = output.unsentBytes
        while owedCount > 0 && output.room >= 2 && headsEnd + MultiplexFrame.headerLength <= heads.count
            && ahead < Self.renderedAhead
        {
            let id = owedIDs[owedHead]
            let left = owedLeft[owedHead]
            let length = min(left, MultiplexFrame.maxPayload)
            owedHead = (owedHead + 1) % ServerSessionLimits.pendingAnswers
            owedCount -= 1
            if left > length { owe(id, left - length) }
            MultiplexFrame.write(id, UInt32(length), into: heads, at: headsEnd)
            output.append(
                UnsafeRawBufferPointer(rebasing: heads[headsEnd..<(headsEnd + MultiplexFrame.headerLength)]),
                completing: 0)
            headsEnd += MultiplexFrame.headerLength
            output.append(pool.slice(length, using: &random), completing: left == length ? 1 : 0)
            ahead += MultiplexFrame.headerLength + length
        }
        return output.unsent
    }

    func advance(_ byteCount: Int) -> Int {
        let (completed, drained) = output.advance(byteCount)
        if drained { headsEnd = 0 }
        return completed
    }
}
