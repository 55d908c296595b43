/// The greeting's server side: one frame, rendered into the session's own 81 bytes, then the close.
final class GreetingServerSession: ServerSession {
    private let frame = UnsafeMutableRawBufferPointer.allocate(byteCount: Greeting.frameLength, alignment: 16)
    private var output = OutputPieces(capacity: 1)
    private var owed = true

    deinit {
        frame.deallocate()
        output.deallocate()
    }

    func reset() {
        output.reset()
        owed = true
    }

    var wantsInput: Bool { false }
    var owesNothing: Bool { !owed && output.isEmpty }
    var isFinished: Bool { owesNothing }

    /// A greeting client has nothing to say: whatever it sends is dropped.
    func receive(_ bytes: UnsafeRawBufferPointer) -> SessionInput { SessionInput(consumed: bytes.count) }
    func receiveEnd() -> SessionInput { SessionInput() }

    func gather(using random: inout WyRand) -> UnsafeBufferPointer<UnsafeRawBufferPointer> {
        if owed {
            Greeting.write(into: frame, using: &random)
            output.append(UnsafeRawBufferPointer(frame), completing: 1)
            owed = false
        }
        return output.unsent
    }

    func advance(_ byteCount: Int) -> Int { output.advance(byteCount).completed }
}
