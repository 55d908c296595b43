import Testing

@testable import Wire

@Suite struct ClientSessionTests {
    static func frame(seed: UInt64 = 1) -> [UInt8] {
        var random = WyRand(seed: seed)
        var frame = [UInt8](repeating: 0, count: Greeting.frameLength)
        frame.withUnsafeMutableBytes { Greeting.write(into: $0, using: &random) }
        return frame
    }

    /// Feeds `bytes` one at a time and sums the progress.
    static func feedByteByByte(_ bytes: [UInt8], to session: inout ClientSession) -> ClientSession.Progress {
        var total = ClientSession.Progress()
        for byte in bytes {
            let step = [byte].withUnsafeBytes { session.receive($0) }
            total.firstBytes += step.firstBytes
            total.completed += step.completed
            total.bad = total.bad || step.bad
        }
        return total
    }

    @Test func greetingFedByteByByteIsComplete() {
        var session = ClientSession(protocol: .greeting)
        let progress = Self.feedByteByByte(Self.frame(), to: &session)
        #expect(progress == .init(firstBytes: 1, completed: 1, bad: false))
        #expect(session.receiveEnd() == .complete)
    }

    @Test(arguments: [0, 33, 50, 80])
    func aWrongFixedByteIsBad(offset: Int) {
        var frame = Self.frame()
        frame[offset] ^= 0xFF
        var session = ClientSession(protocol: .greeting)
        #expect(Self.feedByteByByte(frame, to: &session).bad)
        #expect(session.receiveEnd() == .badResponse)
    }

    @Test func randomBytesMayBeAnything() {
        var frame = Self.frame()
        for offset in 34..<50 { frame[offset] = 0xFF }
        var session = ClientSession(protocol: .greeting)
        _ = frame.withUnsafeBytes { session.receive($0) }
        #expect(session.receiveEnd() == .complete)
    }

    @Test func shortGreetingClosedEarlyAndLongOneBad() {
        var short = ClientSession(protocol: .greeting)
        _ = Self.frame().dropLast().withUnsafeBytes { short.receive($0) }
        #expect(short.receiveEnd() == .closedEarly)

        var empty = ClientSession(protocol: .greeting)
        #expect(empty.receiveEnd() == .closedEarly)

        var long = ClientSession(protocol: .greeting)
        _ = (Self.frame() + [0]).withUnsafeBytes { long.receive($0) }
        #expect(long.receiveEnd() == .badResponse)
    }

    @Test func pipelinedResponsesCompleteInOrderWhateverTheChunking() {
        var session = ClientSession(protocol: .request, pipelineDepth: 3)
        for size: UInt32 in [2, 3, 1] { session.sent(requestOf: size) }
        #expect(!session.canSend)
        let progress = Self.feedByteByByte([UInt8](repeating: 9, count: 6), to: &session)
        #expect(progress == .init(firstBytes: 3, completed: 3, bad: false))
        #expect(session.outstanding == 0 && session.canSend)
        #expect(session.receiveEnd() == .complete)
    }

    @Test func oneChunkSpanningResponsesCountsEach() {
        var session = ClientSession(protocol: .request, pipelineDepth: 4)
        for size: UInt32 in [4, 4, 4] { session.sent(requestOf: size) }
        let progress = [UInt8](repeating: 0, count: 10).withUnsafeBytes { session.receive($0) }
        // 10 bytes: responses 1 and 2 whole (8 bytes), the first 2 bytes of response 3.
        #expect(progress == .init(firstBytes: 3, completed: 2, bad: false))
        #expect(session.receiveEnd() == .closedEarly)
    }

    @Test func aByteNobodyAskedForIsBad() {
        var session = ClientSession(protocol: .request)
        session.sent(requestOf: 1)
        let progress = [UInt8](repeating: 0, count: 2).withUnsafeBytes { session.receive($0) }
        #expect(progress.bad && progress.completed == 1)
        #expect(session.receiveEnd() == .badResponse)
    }

    @Test func resetStartsAFreshConnection() {
        var session = ClientSession(protocol: .request)
        session.sent(requestOf: 8)
        _ = [UInt8](repeating: 0, count: 3).withUnsafeBytes { session.receive($0) }
        session.reset()
        #expect(session.outstanding == 0 && session.receiveEnd() == .complete)
    }

    @Test func serverSessionOutputSatisfiesClientSession() {
        var random = WyRand(seed: 99)
        let sizes = (0..<50).map { _ in UInt32(random.next() % 5000 + 1) }
        var server = ServerSession()
        let owed = ServerSessionTests.headers(sizes).withUnsafeBytes { server.receive($0) }.responseBytes
        var client = ClientSession(protocol: .request, pipelineDepth: sizes.count)
        for size in sizes { client.sent(requestOf: size) }
        let pool = RandomPool(maxSlice: owed, random: &random)
        let progress = client.receive(pool.slice(owed, using: &random))
        #expect(progress.completed == sizes.count && !progress.bad)
        #expect(client.receiveEnd() == .complete)
    }
}
