/// The greeting's client side: every byte checked as it arrives against the frame's fixed prefix and suffix; the frame
/// is whole at the end of the stream if it is 81 bytes long.
final class GreetingClientSession: ClientSession {
    private var received = 0
    private var bad = false

    func reset() {
        received = 0
        bad = false
    }

    var outstanding: Int { 0 }
    var canSend: Bool { false }
    var requestCapacity: Int { 0 }

    func next(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (end: Int, event: ClientEvent?) {
        guard !bad else { return (bytes.count, nil) }
        var index = start
        while index < bytes.count {
            guard received < Greeting.frameLength,
                Greeting.expectedByte(at: received).map({ $0 == bytes[index] }) ?? true
            else {
                bad = true
                return (bytes.count, .bad)
            }
            received += 1
            index += 1
            if received == 1 { return (index, .firstByte) }
            if received == Greeting.frameLength { return (index, .response(.valid)) }
        }
        return (index, nil)
    }

    func receiveEnd() -> (event: ClientEvent?, ending: ConnectionEnding) {
        if bad { return (nil, .badResponse) }
        return (nil, received == Greeting.frameLength ? .complete : .closedEarly)
    }
}
