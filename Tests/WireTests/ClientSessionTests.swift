import Testing

@testable import Wire

@Suite struct ClientSessionTests {
    static func frame(seed: UInt64 = 1) -> [UInt8] {
        var random = WyRand(seed: seed)
        var frame = [UInt8](repeating: 0, count: Greeting.frameLength)
        frame.withUnsafeMutableBytes { Greeting.write(into: $0, using: &random) }
        return frame
    }

    /// Every event `bytes` bring, fed in chunks of `chunk` bytes (1: byte by byte).
    static func events(_ bytes: [UInt8], chunk: Int = .max, client: any ClientSession) -> [ClientEvent] {
        placedEvents(bytes, chunk: chunk, client: client).map(\.event)
    }

    /// Counts `size` as sent on `client`.
    static func send(_ sizes: [UInt32], on client: any ClientSession) {
        var scratch = [UInt8](repeating: 0, count: max(client.requestCapacity, 1))
        for size in sizes { _ = scratch.withUnsafeMutableBytes { client.writeRequest(size, last: false, into: $0) } }
    }

    @Test(arguments: [1, 7, 1000])
    func aGreetingInAnyChunkingIsOneResponse(chunk: Int) {
        let session = makeClient(.greeting)
        #expect(Self.events(Self.frame(), chunk: chunk, client: session) == [.firstByte, .response(.valid)])
        #expect(session.receiveEnd().ending == .complete)
    }

    @Test(arguments: [0, 33, 50, 80])
    func aWrongFixedByteIsBad(offset: Int) {
        var frame = Self.frame()
        frame[offset] ^= 0xFF
        let session = makeClient(.greeting)
        #expect(Self.events(frame, chunk: 1, client: session).last == .bad)
        #expect(session.receiveEnd().ending == .badResponse)
    }

    @Test func randomBytesMayBeAnything() {
        var frame = Self.frame()
        for offset in 34..<50 { frame[offset] = 0xFF }
        let session = makeClient(.greeting)
        _ = Self.events(frame, client: session)
        #expect(session.receiveEnd().ending == .complete)
    }

    @Test func shortGreetingClosedEarlyAndLongOneBad() {
        let short = makeClient(.greeting)
        _ = Self.events(Array(Self.frame().dropLast()), client: short)
        #expect(short.receiveEnd().ending == .closedEarly)

        let empty = makeClient(.greeting)
        #expect(empty.receiveEnd().ending == .closedEarly)

        let long = makeClient(.greeting)
        #expect(Self.events(Self.frame() + [0], client: long).last == .bad)
        #expect(long.receiveEnd().ending == .badResponse)
    }

    @Test func pipelinedResponsesCompleteInOrderWhateverTheChunking() {
        let session = makeClient(.request, pipelineDepth: 3)
        Self.send([2, 3, 1], on: session)
        #expect(!session.canSend)
        let events = Self.events([UInt8](repeating: 9, count: 6), chunk: 1, client: session)
        #expect(events == Array(repeating: [.firstByte, .response(.valid)], count: 3).flatMap { $0 })
        #expect(session.outstanding == 0 && session.canSend)
        #expect(session.receiveEnd().ending == .complete)
    }

    @Test func oneChunkSpanningResponsesCountsEach() {
        let session = makeClient(.request, pipelineDepth: 4)
        Self.send([4, 4, 4], on: session)
        // 10 bytes: responses 1 and 2 whole (8 bytes), the first 2 bytes of response 3.
        let events = Self.events([UInt8](repeating: 0, count: 10), client: session)
        #expect(events.filter { $0 == .firstByte }.count == 3 && events.filter { $0 == .response(.valid) }.count == 2)
        #expect(session.receiveEnd().ending == .closedEarly)
    }

    @Test func aByteNobodyAskedForIsBad() {
        let session = makeClient(.request)
        Self.send([1], on: session)
        #expect(Self.events([0, 0], client: session) == [.firstByte, .response(.valid), .bad])
        #expect(session.receiveEnd().ending == .badResponse)
    }

    @Test func resetStartsAFreshConnection() {
        let session = makeClient(.request)
        Self.send([8], on: session)
        _ = Self.events([0, 0, 0], client: session)
        session.reset()
        #expect(session.outstanding == 0 && session.receiveEnd().ending == .complete)
    }
}
