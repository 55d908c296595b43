import Testing
import TLS
import Wire

/// A ``TLSServerSession`` served as a model serves it (input offered while it wants some, in reads of a model's
/// size; output taken as the socket would take it), its client a ``TLSConnection``, both in memory.
final class ServedSession {
    let session: TLSServerSession
    let client: TLSConnection
    /// What every receive and receiveEnd reported, summed, as a model's counters sum it.
    private(set) var counted = SessionInput()
    private var random = WyRand(seed: 7)

    /// A session of `wireProtocol` behind TLS; a new server context unless one is given (resumption needs the
    /// first connection's).
    init(_ wireProtocol: WireProtocol, server: TLSContext? = nil) throws {
        var seed = WyRand(seed: 3)
        let pool = wireProtocol.traits.answersFromPool ? RandomPool(maxSlice: 1 << 16, random: &seed) : nil
        let inner = wireProtocol.makeServerSession(ServerSessionSettings(pool: pool))
        session = TLSServerSession(inner, context: try server ?? .server(TLSSettings()))
        client = try TLSConnection(try .client(TLSSettings()))
    }

    /// Offers `bytes` in reads of `read` bytes while the session wants input; returns how many it was offered.
    @discardableResult
    func receive(_ bytes: [UInt8], read: Int = 1 << 16) -> Int {
        var offset = 0
        while offset < bytes.count && session.wantsInput {
            let input = bytes[offset..<min(bytes.count, offset + read)].withUnsafeBytes { session.receive($0) }
            counted.add(input)
            guard input.consumed > 0 else { break }
            offset += input.consumed
        }
        return offset
    }

    func receiveEnd() {
        counted.add(session.receiveEnd())
    }

    /// Everything the session owes now.
    func sent() -> [UInt8] {
        var bytes: [UInt8] = []
        while true {
            let pieces = session.gather(using: &random)
            guard !pieces.isEmpty else { return bytes }
            var taken = 0
            for piece in pieces {
                bytes += piece
                taken += piece.count
            }
            _ = session.advance(taken)
        }
    }

    /// The client's owed ciphertext to the session, and the session's answer to the client.
    func exchange() {
        receive(client.takeAllCiphertext())
        client.feed(sent())
    }

    /// The client's handshake, each flight exchanged; how it ended on the client's side.
    func handshake() -> TLSConnection.Progress {
        var progress = TLSConnection.Progress.needsInput
        for _ in 0..<8 where progress == .needsInput {
            progress = client.handshake()
            exchange()
        }
        return progress
    }
}

@Suite struct TLSServerSessionTests {
    static let requestFor16: [UInt8] = [0, 0, 0, 16]

    @Test func greetingArrivesDecryptedThenCloseNotify() throws {
        let served = try ServedSession(.greeting)
        #expect(served.handshake() == .done)
        let (frame, ending) = served.client.readAll()
        #expect(frame.count == Greeting.frameLength)
        #expect(frame.prefix(34).elementsEqual(Greeting.prefix) && frame.suffix(31).elementsEqual(Greeting.suffix))
        #expect(ending == .closed, "the greeting's end is sent as close_notify")
        #expect(served.session.isFinished)
        #expect(served.counted.tlsHandshakes == 1 && served.counted.tlsResumed == 0 && served.counted.tlsFailures == 0)
    }

    @Test func requestIsAnsweredAndCloseNotifyEndsTheConversation() throws {
        let served = try ServedSession(.request)
        #expect(served.handshake() == .done)
        #expect(!served.session.isMidRequest, "a finished handshake is not a request begun")
        #expect(served.client.write(Self.requestFor16) == nil)
        served.exchange()
        let answer = served.client.readAll()
        #expect(answer.bytes.count == 16 && answer.ending == .needsInput)
        #expect(!served.session.isFinished)

        served.client.close()
        served.exchange()
        #expect(served.client.readAll().ending == .closed, "the session's end answers the client's")
        #expect(served.session.isFinished && !served.session.wantsInput)
        #expect(served.counted.tlsHandshakes == 1 && served.counted.tlsFailures == 0)
    }

    @Test func handshakeStalledHalfWayIsMidRequest() throws {
        let served = try ServedSession(.request)
        #expect(!served.session.isMidRequest, "nothing received, nothing begun")
        #expect(served.client.handshake() == .needsInput)
        let hello = served.client.takeAllCiphertext()
        served.receive(Array(hello.prefix(hello.count / 2)))
        #expect(served.session.isMidRequest, "a model times the handshake from its first byte")
        #expect(served.sent().isEmpty, "half a ClientHello is answered with nothing")
        served.receiveEnd()
        #expect(served.counted.tlsFailures == 1, "a client gone mid-handshake is a failure")
        #expect(served.session.isFinished)
    }

    @Test func clientGoneWithoutAByteIsNoFailure() throws {
        let served = try ServedSession(.request)
        served.receiveEnd()
        #expect(served.counted.tlsFailures == 0)
        #expect(served.session.isFinished)
    }

    @Test(arguments: [0, 1, 20])
    func streamCutInsideARecordIsAFailure(cut: Int) throws {
        let served = try ServedSession(.request)
        #expect(served.handshake() == .done)
        #expect(served.client.write(Self.requestFor16) == nil)
        let record = served.client.takeAllCiphertext()
        served.receive(Array(record.dropLast(cut)))
        served.receiveEnd()
        // A FIN at a record's edge ends the client's side as close_notify would: what it asked is answered.
        #expect(served.counted.tlsFailures == (cut == 0 ? 0 : 1))
        served.client.feed(served.sent())
        #expect(served.client.readAll().bytes.count == (cut == 0 ? 16 : 0))
        #expect(served.session.isFinished)
    }

    @Test(arguments: [
        // A handshake record whose ClientHello is four bytes of nonsense: OpenSSL answers it with a decode_error.
        ([0x16, 0x03, 0x01, 0x00, 0x08, 0x01, 0x00, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef], true),
        // Plaintext HTTP: OpenSSL recognises it and closes without an alert the client could not read anyway.
        (Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8), false),
    ])
    func garbageInsteadOfAClientHelloIsAFailure(garbage: [UInt8], alerted: Bool) throws {
        let served = try ServedSession(.request)
        served.receive(garbage)
        #expect(served.counted.tlsFailures == 1 && served.counted.tlsHandshakes == 0)
        #expect(!served.session.wantsInput && served.session.isFinished != alerted, "the alert is owed first")
        let alert = served.sent()
        if alerted {
            // A record of type 21 (alert), level 2 (fatal).
            #expect(alert.count == 7 && alert[0] == 21 && alert[5] == 2, "\(alert)")
        }
        #expect(served.session.isFinished, "once the alert is out the connection closes")
        #expect(served.receive(garbage) == 0, "nothing more is read")
        #expect(served.counted.tlsFailures == 1)
    }

    @Test func megabyteOfRandomBytesAfterTheHandshakeIsOneFailureAndEndsReading() throws {
        let served = try ServedSession(.request)
        #expect(served.handshake() == .done)
        var noise = [UInt8](repeating: 0, count: 1 << 20)
        var random = WyRand(seed: 11)
        noise.withUnsafeMutableBytes { random.fill($0) }
        let read = 1 << 14
        // The session refuses input after the first read: a model reads no more of the client, so what it holds
        // is one read, not the megabyte.
        #expect(served.receive(noise, read: read) == read)
        #expect(served.counted.tlsFailures == 1)
        _ = served.sent()
        #expect(served.session.isFinished)
    }

    @Test func resumedHandshakeIsCountedAsResumed() throws {
        let context = try TLSContext.server(TLSSettings())
        let first = try ServedSession(.greeting, server: context)
        #expect(first.handshake() == .done)
        _ = first.client.readAll()  // TLS 1.3's tickets arrive after the handshake
        let session = try #require(first.client.session)
        #expect(first.counted.tlsResumed == 0)

        let second = try ServedSession(.greeting, server: context)
        second.client.resume(session)
        #expect(second.handshake() == .done)
        #expect(second.counted.tlsHandshakes == 1 && second.counted.tlsResumed == 1)
    }
}
