@testable import Servers
import Testing
import Wire

/// The one deadline rule every model keeps (``ConnectionDeadlines``), without a socket: an HTTP session is fed bytes
/// at chosen moments, the clock is the test's.
@Suite struct ConnectionDeadlinesTests {
    static let second: UInt64 = 1_000_000_000

    private func session() -> any ServerSession {
        var random = WyRand(seed: 1)
        return WireProtocol.http.makeServerSession(
            ServerSessionSettings(pool: RandomPool(maxSlice: 1024, random: &random)))
    }

    /// Deadlines of 5 s for a connection that began at 0.
    private static func started() -> ConnectionDeadlines {
        var deadlines = ConnectionDeadlines(timeout: .seconds(5))
        deadlines.start(now: 0)
        return deadlines
    }

    private func feed(_ text: String, to session: any ServerSession) {
        _ = Array(text.utf8).withUnsafeBytes { session.receive($0) }
    }

    @Test func anIdleClientExpiresAsAReadTimeoutOneTimeoutAfterItLastMoved() {
        var deadlines = ConnectionDeadlines(timeout: .seconds(5))
        deadlines.start(now: 10 * Self.second)
        #expect(deadlines.expired(now: 14 * Self.second, owesNothing: true) == nil)
        #expect(deadlines.expired(now: 15 * Self.second, owesNothing: true) == .readTimeouts)
        #expect(deadlines.next == 15 * Self.second)
        // Output that went out at 12 s counts as movement: an answer read slowly is not idleness.
        deadlines.moved(now: 12 * Self.second)
        #expect(deadlines.expired(now: 16 * Self.second, owesNothing: true) == nil)
        #expect(deadlines.expired(now: 17 * Self.second, owesNothing: true) == .readTimeouts)
    }

    @Test func aRequestMustBeWholeWithinTheTimeoutOfItsFirstByte() {
        let session = session()
        var deadlines = Self.started()
        feed("GET /bytes/16 HTTP/1.1\r\nHost: a\r\nX-Slow: ", to: session)
        deadlines.track(session, owedBefore: false, now: 1 * Self.second)
        // A byte of a field every second keeps the connection moving, but the request's own deadline does not move.
        for second in UInt64(2)...5 {
            feed("a", to: session)
            deadlines.track(session, owedBefore: false, now: second * Self.second)
        }
        #expect(session.isMidRequest)
        #expect(deadlines.expired(now: 5 * Self.second + 999_999_999, owesNothing: true) == nil)
        #expect(deadlines.expired(now: 6 * Self.second, owesNothing: true) == .headerTimeouts)
    }

    @Test func aWholeRequestStopsItsClockAndTheNextOneStartsItsOwn() {
        let session = session()
        var deadlines = Self.started()
        feed("GET /bytes/16 HTTP/1.1\r\nHost: a\r\n\r\nGET /bytes/16", to: session)
        deadlines.track(session, owedBefore: false, now: 4 * Self.second)
        #expect(deadlines.requestStarted == 4 * Self.second, "the second request began at 4 s")
        deadlines.moved(now: 5 * Self.second)  // the first answer went out
        feed(" HTTP/1.1\r\nHost: a\r\n\r\n", to: session)
        deadlines.track(session, owedBefore: false, now: 8 * Self.second)
        #expect(deadlines.requestStarted == nil)
        #expect(deadlines.expired(now: 9 * Self.second, owesNothing: true) == nil)
    }

    @Test func outputOwedThatMakesNoProgressExpiresAsAWriteTimeout() {
        var deadlines = Self.started()
        deadlines.moved(now: 3 * Self.second)  // the request arrived at 3 s: the wait for the client to read starts
        #expect(deadlines.expired(now: 7 * Self.second, owesNothing: false) == nil)
        #expect(deadlines.expired(now: 8 * Self.second, owesNothing: false) == .writeTimeouts)
    }

    /// Input taken while output waits is not the client's progress: a client that sends frames asking for nothing
    /// (h2's PING ACKs) and never reads is a client that does not read. Input taken while nothing was owed starts the
    /// wait for the answer it asked for.
    @Test func inputWhileOutputWaitsDoesNotPutOffTheWriteTimeout() {
        let session = session()
        var deadlines = Self.started()
        feed("GET /bytes/16 HTTP/1.1\r\nHost: a\r\n\r\n", to: session)
        deadlines.track(session, owedBefore: false, now: 3 * Self.second)
        for second in UInt64(4)...9 { deadlines.track(session, owedBefore: true, now: second * Self.second) }
        #expect(deadlines.expired(now: 7 * Self.second, owesNothing: false) == nil)
        #expect(deadlines.expired(now: 8 * Self.second, owesNothing: false) == .writeTimeouts)
    }
}
