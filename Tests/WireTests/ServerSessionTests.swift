import Testing

@testable import Wire

@Suite struct ServerSessionTests {
    /// Request headers for `sizes`, back to back, as a pipelining client writes them.
    static func headers(_ sizes: [UInt32]) -> [UInt8] {
        sizes.flatMap { size -> [UInt8] in
            let bytes = RequestHeader.encode(size)
            return [bytes.0, bytes.1, bytes.2, bytes.3]
        }
    }

    /// Feeds `input` to a fresh session in chunks of the given sizes (cycled) and sums the outcomes.
    static func feed(_ input: [UInt8], chunks: [Int], max: UInt32 = 1 << 20) -> ServerSession.Outcome {
        var session = ServerSession(maxRequestBytes: max)
        var total = ServerSession.Outcome()
        var offset = 0
        var turn = 0
        while offset < input.count {
            let end = min(input.count, offset + chunks[turn % chunks.count])
            let outcome = input[offset..<end].withUnsafeBytes { session.receive($0) }
            total.responseBytes += outcome.responseBytes
            total.requests += outcome.requests
            total.violation = total.violation ?? outcome.violation
            offset = end
            turn += 1
        }
        return total
    }

    @Test func headerIsBigEndian() {
        #expect(Self.headers([0x0102_0304]) == [1, 2, 3, 4])
        #expect(Self.headers([16]) == [0, 0, 0, 16])
    }

    @Test(arguments: [[1], [3], [4], [5], [1, 2, 3], [1000]])
    func pipelinedRequestsInAnyChunkingOweTheSum(chunks: [Int]) {
        let sizes: [UInt32] = [1, 16, 4096, 1 << 20, 7]
        let outcome = Self.feed(Self.headers(sizes), chunks: chunks)
        #expect(outcome == .init(responseBytes: sizes.reduce(0) { $0 + Int($1) }, requests: sizes.count))
    }

    @Test func randomChunkSizesOweTheSum() {
        var random = WyRand(seed: 2026)
        let sizes = (0..<200).map { _ in UInt32(random.next() % 65536 + 1) }
        let chunks = (0..<50).map { _ in Int(random.next() % 9 + 1) }
        let outcome = Self.feed(Self.headers(sizes), chunks: chunks)
        #expect(outcome.requests == 200)
        #expect(outcome.responseBytes == sizes.reduce(0) { $0 + Int($1) })
    }

    @Test(arguments: [UInt32(0), 1025])
    func sizeOutsideOneToMaxIsAViolation(size: UInt32) {
        let outcome = Self.feed(Self.headers([16, size, 16]), chunks: [1], max: 1024)
        #expect(outcome.violation == .sizeOutOfRange(size))
        // The request before the bad one was complete; the one after it is never read.
        #expect(outcome.requests == 1 && outcome.responseBytes == 16)
    }

    @Test func maxItselfIsAllowed() {
        #expect(Self.feed(Self.headers([1024]), chunks: [4], max: 1024) == .init(responseBytes: 1024, requests: 1))
    }

    @Test func halfCloseMidHeaderIsTruncated() {
        var session = ServerSession()
        _ = [UInt8]([0, 0]).withUnsafeBytes { session.receive($0) }
        #expect(session.receiveEnd() == .truncatedHeader)
    }

    @Test func halfCloseBetweenRequestsIsClean() {
        var session = ServerSession()
        let outcome = Self.headers([5]).withUnsafeBytes { session.receive($0) }
        #expect(outcome.responseBytes == 5)
        #expect(session.receiveEnd() == nil)
    }

    @Test func inputAfterAViolationIsIgnored() {
        var session = ServerSession(maxRequestBytes: 10)
        _ = Self.headers([0]).withUnsafeBytes { session.receive($0) }
        let later = Self.headers([5]).withUnsafeBytes { session.receive($0) }
        #expect(later == .init())
        #expect(session.receiveEnd() == nil)
    }
}
