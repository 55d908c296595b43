import Testing

@testable import Wire

/// The request protocol and the greeting through ``ServerSession`` (HTTP has ``HTTPServerSessionTests``).
@Suite struct ServerSessionTests {
    /// Request headers for `sizes`, back to back, as a pipelining client writes them.
    static func headers(_ sizes: [UInt32]) -> [UInt8] {
        sizes.flatMap { size -> [UInt8] in
            let bytes = RequestHeader.encode(size)
            return [bytes.0, bytes.1, bytes.2, bytes.3]
        }
    }

    @Test func headerIsBigEndian() {
        #expect(Self.headers([0x0102_0304]) == [1, 2, 3, 4])
        #expect(Self.headers([16]) == [0, 0, 0, 16])
    }

    @Test func aGreetingIsOneFrameAndTheEnd() {
        var conversation = SessionConversation(.greeting)
        conversation.drain()
        #expect(conversation.output.count == Greeting.frameLength && conversation.responses == 1)
        #expect(conversation.output.prefix(Greeting.prefix.count).elementsEqual(Greeting.prefix))
        #expect(conversation.session.isFinished && !conversation.session.wantsInput)
    }

    @Test(arguments: [[1], [3], [4], [5], [1, 2, 3], [1000]])
    func pipelinedRequestsInAnyChunkingAreAnsweredInFull(chunks: [Int]) {
        let sizes: [UInt32] = [1, 16, 4096, 1 << 20, 7]
        var conversation = SessionConversation(.request)
        conversation.feed(Self.headers(sizes), chunks: chunks, end: true)
        #expect(conversation.output.count == Int(sizes.reduce(0, +)))
        #expect(conversation.responses == sizes.count && conversation.protocolErrors == 0)
        #expect(conversation.session.isFinished)
    }

    @Test(arguments: [0, (1 << 20) + 1] as [UInt32])
    func aSizeOutOfRangeClosesAtOnceWithNothingSent(size: UInt32) {
        var conversation = SessionConversation(.request)
        conversation.feed(Self.headers([16, size, 16]))
        // The 16 bytes owed before the bad header are not sent either: the connection closes at once.
        #expect(conversation.output.isEmpty && conversation.protocolErrors == 1)
        #expect(conversation.session.isFinished)
    }

    @Test func aHalfCloseInsideAHeaderIsAProtocolError() {
        var conversation = SessionConversation(.request)
        conversation.feed(Self.headers([8]) + [0, 0], end: true)
        #expect(conversation.protocolErrors == 1 && conversation.session.isFinished)
    }

    /// The end can come before the model gathers the answers of the input before it (the io_uring model's receives
    /// go on while a send is in flight): those answers still go out, whole, and then the session is finished.
    @Test(arguments: [
        (WireProtocol.request, headers([8]) + [0, 0], 8),
        (.multiplex, MultiplexServerSessionTests.requests([(1, 8)]) + [0, 0, 0, 2, 0], MultiplexFrame.headerLength + 8),
    ])
    func aHalfCloseInsideARequestStillAnswersTheWholeOnesBeforeIt(
        wireProtocol: WireProtocol, input: [UInt8], answered: Int
    ) {
        var conversation = SessionConversation(wireProtocol)
        let received = input.withUnsafeBytes { conversation.session.receive($0) }
        let ending = conversation.session.receiveEnd()
        conversation.drain()
        #expect(received.consumed == input.count && received.protocolErrors + ending.protocolErrors == 1)
        #expect(conversation.output.count == answered && conversation.responses == 1)
        #expect(conversation.session.isFinished)
    }

    @Test func aFloodOfHugeRequestsCostsACountAndABoundedSetOfPieces() {
        // 10,000 requests of 1 MiB in one chunk: owed as one count, handed out 64 slices at a time at most.
        let session = SessionConversation(.request).session
        let received = Self.headers(Array(repeating: 1 << 20, count: 10_000)).withUnsafeBytes { session.receive($0) }
        #expect(received.consumed == 40_000 && !session.wantsInput)
        var random = WyRand(seed: 1)
        #expect(session.gather(using: &random).count == ServerSessionLimits.pieces)
    }

    @Test func resetStartsAFreshConnection() {
        var conversation = SessionConversation(.request)
        conversation.feed(Self.headers([8]) + [0])
        conversation.session.reset()
        #expect(conversation.session.owesNothing && conversation.session.wantsInput)
        #expect(!conversation.session.isFinished)
    }

    @Test func serverOutputSatisfiesTheClientSession() {
        var random = WyRand(seed: 99)
        let sizes = (0..<50).map { _ in UInt32(random.next() % 5000 + 1) }
        var conversation = SessionConversation(.request)
        conversation.feed(Self.headers(sizes), end: true)
        let client = makeClient(.request, pipelineDepth: sizes.count)
        var scratch = [UInt8](repeating: 0, count: 4)
        for size in sizes { _ = scratch.withUnsafeMutableBytes { client.writeRequest(size, last: false, into: $0) } }
        let events = ClientSessionTests.events(conversation.output, client: client)
        #expect(events.filter { $0 == .response(.valid) }.count == sizes.count && !events.contains(.bad))
        #expect(client.receiveEnd().ending == .complete)
    }
}
