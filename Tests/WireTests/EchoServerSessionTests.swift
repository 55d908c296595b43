import Testing

@testable import Wire

/// The echo protocol through ``ServerSession``: every byte back in order, a bounded hold, one response per exchange.
@Suite struct EchoServerSessionTests {
    static func content(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) } }

    @Test(arguments: [[1], [7, 1000], [70_000], [65_536, 1]])
    func everyByteComesBackInOrderInAnyChunking(chunks: [Int]) {
        let input = Self.content(200_000)
        var conversation = SessionConversation(.echo)
        conversation.feed(input, chunks: chunks, end: true)
        #expect(conversation.output == input)
        #expect(conversation.responses == 1 && conversation.protocolErrors == 0)
        #expect(conversation.session.isFinished)
    }

    @Test func itHoldsAtMostItsCapacityAndStopsReadingUntilTheClientReads() {
        let session = SessionConversation(.echo).session
        let input = Self.content(EchoServerSession.capacity + 10)
        let received = input.withUnsafeBytes { session.receive($0) }
        #expect(received.consumed == EchoServerSession.capacity)
        #expect(!session.wantsInput && !session.owesNothing)
        var random = WyRand(seed: 1)
        let pieces = session.gather(using: &random)
        #expect(pieces.reduce(0) { $0 + $1.count } == EchoServerSession.capacity)
        _ = session.advance(EchoServerSession.capacity)
        #expect(session.wantsInput && session.owesNothing)
    }

    @Test func itClosesOnlyAfterTheClientsEndAndItsOwnLastByte() {
        var conversation = SessionConversation(.echo)
        conversation.feed(Self.content(100))
        #expect(conversation.output.count == 100 && !conversation.session.isFinished)
        #expect(conversation.responses == 0, "an echo is whole only at the client's end")
        conversation.feed([], end: true)
        #expect(conversation.session.isFinished && conversation.responses == 1)
    }

    /// The end comes while the last bytes are held (not yet gathered) or gathered and not yet sent.
    @Test(arguments: [false, true])
    func anEndWhileBytesAreStillOwedCompletesWithTheLastOfThem(gatheredFirst: Bool) {
        let session = SessionConversation(.echo).session
        var random = WyRand(seed: 1)
        _ = Self.content(10).withUnsafeBytes { session.receive($0) }
        if gatheredFirst { #expect(session.gather(using: &random).reduce(0) { $0 + $1.count } == 10) }
        #expect(session.receiveEnd().completed == 0)
        #expect(!session.isFinished, "ten bytes are still owed")
        #expect(session.gather(using: &random).reduce(0) { $0 + $1.count } == 10)
        #expect(session.advance(10) == 1)
        #expect(session.isFinished)
    }

    @Test func anEmptyExchangeIsNoResponse() {
        var conversation = SessionConversation(.echo)
        conversation.feed([], end: true)
        #expect(conversation.session.isFinished && conversation.responses == 0 && conversation.output.isEmpty)
    }
}
