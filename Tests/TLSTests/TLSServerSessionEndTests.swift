import Testing
import TLS
import Wire

/// A TLS session wrapped around a protocol's, driven as a model drives it (receive, then gather and advance) with a
/// client's TLS connection in memory on the other side.
@Suite struct TLSServerSessionEndTests {
    /// The client's close_notify in the same read as a whole multiplex request and part of the next: the whole one is
    /// answered before the end, as over plain TCP, where the model gathers between the read of the bytes and the read
    /// that returns 0. (Handed the end at once, the multiplex session dropped the answer it had not gathered yet.)
    @Test func anEndInTheSameReadAsARequestComesAfterItsAnswer() throws {
        let server = TLSServerSession(
            WireProtocol.multiplex.makeServerSession(ServerSessionSettings(pool: Self.pool)),
            context: try TLSContext.server(TLSSettings()))
        let client = try TLSConnection(try TLSContext.client(TLSSettings()))
        var random = WyRand(seed: 1)
        // The handshake, flight by flight.
        while !client.isHandshakeDone || !server.owesNothing {
            _ = client.handshake()
            _ = Self.ciphertext(owedBy: client).withUnsafeBytes { server.receive($0) }
            Self.drain(server, &random).withUnsafeBytes { client.feed($0) }
        }
        // Request id 1 for 16 bytes, 5 bytes of another, then close_notify: one feed for the server.
        let requests = Self.request(id: 1, n: 16) + Self.request(id: 2, n: 16)[..<5]
        #expect(requests.withUnsafeBytes { client.write($0) } == nil)
        client.close()
        _ = Self.ciphertext(owedBy: client).withUnsafeBytes { server.receive($0) }
        // The model gathers, then offers the held input (the end), then gathers again, as it does.
        var answer = Self.drain(server, &random)
        if server.hasHeldInput && server.wantsInput { _ = server.receive(UnsafeRawBufferPointer(start: nil, count: 0)) }
        answer += Self.drain(server, &random)
        answer.withUnsafeBytes { client.feed($0) }
        var plaintext: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 14)
        readLoop: while true {
            switch buffer.withUnsafeMutableBytes({ client.read(into: $0) }) {
            case .bytes(let count): plaintext += buffer[..<count]
            case .closed: break readLoop
            default: Issue.record("expected the answer then close_notify, the stream stopped after \(plaintext.count) bytes")
                break readLoop
            }
        }
        #expect(Array(plaintext.prefix(8)) == Self.request(id: 1, n: 16), "a frame header [1][16]")
        #expect(plaintext.count == 8 + 16)
        #expect(server.isFinished)
    }

    static let pool: RandomPool = {
        var random = WyRand(seed: 7)
        return RandomPool(maxSlice: 1 << 16, random: &random)
    }()

    /// A multiplex request, [id][n] big-endian (a frame header has the same layout).
    static func request(id: UInt32, n: UInt32) -> [UInt8] {
        [id, n].flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }
    }

    static func ciphertext(owedBy connection: TLSConnection) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: connection.owedCiphertext)
        let count = bytes.withUnsafeMutableBytes { connection.takeCiphertext(into: $0) }
        return Array(bytes[..<count])
    }

    /// Everything the session gives to gather, each piece advanced as sent.
    static func drain(_ session: TLSServerSession, _ random: inout WyRand) -> [UInt8] {
        var bytes: [UInt8] = []
        while true {
            let pieces = session.gather(using: &random)
            guard !pieces.isEmpty else { return bytes }
            let count = pieces.reduce(0) { $0 + $1.count }
            for piece in pieces { bytes += piece }
            _ = session.advance(count)
        }
    }
}
