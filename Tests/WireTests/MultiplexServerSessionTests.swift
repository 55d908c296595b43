import Testing

@testable import Wire

/// The multiplex protocol through ``ServerSession``: frames of at most 16 KiB, interleaved round-robin, so that a
/// small answer overtakes a large one asked for before it.
@Suite struct MultiplexServerSessionTests {
    static func requests(_ pairs: [(UInt32, UInt32)]) -> [UInt8] {
        pairs.flatMap { id, size in
            withUnsafeBytes(of: id.bigEndian) { Array($0) } + withUnsafeBytes(of: size.bigEndian) { Array($0) }
        }
    }

    /// The frames of `output`: (id, length), in order; nil if it does not parse as whole frames.
    static func frames(_ output: [UInt8]) -> [(id: UInt32, length: Int)]? {
        var frames: [(UInt32, Int)] = []
        var offset = 0
        while offset < output.count {
            guard output.count - offset >= 8 else { return nil }
            let word = { (at: Int) in output[at..<(at + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
            let (id, length) = (word(offset), Int(word(offset + 4)))
            offset += 8 + length
            guard offset <= output.count else { return nil }
            frames.append((id, length))
        }
        return frames
    }

    @Test(arguments: [[1], [3, 5], [8], [1000]])
    func everyAnswerComesInFramesOfAtMost16KiBSummingToItsSize(chunks: [Int]) throws {
        let asked: [(UInt32, UInt32)] = [(9, 1), (4, 16), (77, 16_384), (1, 16_385), (0xFFFF_FFFF, 1 << 20)]
        var conversation = SessionConversation(.multiplex)
        conversation.feed(Self.requests(asked), chunks: chunks, end: true)
        let frames = try #require(Self.frames(conversation.output))
        #expect(frames.allSatisfy { (1...MultiplexFrame.maxPayload).contains($0.length) })
        for (id, size) in asked {
            #expect(frames.filter { $0.id == id }.reduce(0) { $0 + $1.length } == Int(size), "id \(id)")
        }
        #expect(conversation.responses == asked.count && conversation.protocolErrors == 0)
        #expect(conversation.session.isFinished)
    }

    @Test func aSmallAnswerOvertakesALargeOneAskedBeforeIt() throws {
        var conversation = SessionConversation(.multiplex)
        conversation.feed(Self.requests([(1, 1 << 20), (2, 16), (3, 40_000)]), end: true)
        let frames = try #require(Self.frames(conversation.output))
        // Round-robin: one frame of each owed answer in turn.
        #expect(frames.prefix(4).map(\.id) == [1, 2, 3, 1])
        #expect(frames[1].length == 16)
        let lastOfLarge = try #require(frames.lastIndex { $0.id == 1 })
        #expect(lastOfLarge == frames.count - 1, "the MiB answer finishes last")
    }

    @Test(arguments: [0, (1 << 20) + 1] as [UInt32])
    func aSizeOutOfRangeClosesAtOnce(size: UInt32) {
        var conversation = SessionConversation(.multiplex)
        conversation.feed(Self.requests([(5, size)]))
        #expect(conversation.output.isEmpty && conversation.protocolErrors == 1)
        #expect(conversation.session.isFinished)
    }

    @Test func aHalfCloseInsideARequestIsAProtocolError() {
        var conversation = SessionConversation(.multiplex)
        conversation.feed(Self.requests([(5, 8)]) + [0, 0, 0], end: true)
        #expect(conversation.protocolErrors == 1 && conversation.session.isFinished)
    }

    @Test func itStopsReadingAtItsLimitOfOwedAnswers() {
        let session = SessionConversation(.multiplex).session
        let many = Self.requests((0..<UInt32(ServerSessionLimits.pendingAnswers + 3)).map { ($0, 1_000) })
        let received = many.withUnsafeBytes { session.receive($0) }
        #expect(received.consumed == ServerSessionLimits.pendingAnswers * MultiplexFrame.requestLength)
        #expect(!session.wantsInput)
    }
}
