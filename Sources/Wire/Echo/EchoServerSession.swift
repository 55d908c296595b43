/// The echo's server side: bytes read are copied into the session's own space and go out in order, as pieces of it.
/// It holds at most ``capacity`` bytes not yet sent, then stops reading until the client reads; the exchange is whole
/// once the client has half-closed and the last byte is out.
final class EchoServerSession: ServerSession {
    /// Bytes read and not yet sent, at most; a model's read buffer (64 KiB) is taken whole.
    static let capacity = 1 << 16

    private let space = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
    private var output = OutputPieces()
    /// Bytes in `space`, and the last `held` of them not yet in a piece.
    private var spaceEnd = 0
    private var held = 0
    /// Whether any byte came at all: an empty exchange completes nothing.
    private var echoedAny = false
    private var inputEnded = false

    deinit {
        space.deallocate()
        output.deallocate()
    }

    func reset() {
        output.reset()
        spaceEnd = 0
        held = 0
        echoedAny = false
        inputEnded = false
    }

    var wantsInput: Bool { !inputEnded && spaceEnd < Self.capacity }
    var owesNothing: Bool { held == 0 && output.isEmpty }
    var isFinished: Bool { owesNothing && inputEnded }

    /// Copies what fits behind the bytes held.
    func receive(_ bytes: UnsafeRawBufferPointer) -> SessionInput {
        let take = min(bytes.count, Self.capacity - spaceEnd)
        guard take > 0 else { return SessionInput() }
        (space.baseAddress! + spaceEnd).copyMemory(from: bytes.baseAddress!, byteCount: take)
        spaceEnd += take
        held += take
        echoedAny = true
        return SessionInput(consumed: take)
    }

    /// The echo is whole once its last byte is out: now, if it is out already.
    func receiveEnd() -> SessionInput {
        inputEnded = true
        guard echoedAny && held == 0 else { return SessionInput() }
        guard !output.isEmpty else { return SessionInput(completed: 1) }
        output.completeWithLast()
        return SessionInput()
    }

    func gather(using random: inout WyRand) -> UnsafeBufferPointer<UnsafeRawBufferPointer> {
        output.makeRoom(for: 1)
        if held > 0 && output.room > 0 {
            let bytes = UnsafeRawBufferPointer(rebasing: space[(spaceEnd - held)..<spaceEnd])
            output.appendJoining(bytes, completing: inputEnded ? 1 : 0)
            held = 0
        }
        return output.unsent
    }

    func advance(_ byteCount: Int) -> Int {
        let (completed, drained) = output.advance(byteCount)
        if drained {
            // Bytes read since the last gather move to the front.
            if held > 0 { space.baseAddress!.copyMemory(from: space.baseAddress! + spaceEnd - held, byteCount: held) }
            spaceEnd = held
        }
        return completed
    }
}
