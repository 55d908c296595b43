import Testing

@testable import Wire

/// The client's side of echo and multiplex: frames matched by id in any order, every echoed byte compared.
@Suite struct EchoAndMultiplexClientTests {
    static func frame(_ id: UInt32, _ length: Int) -> [UInt8] {
        withUnsafeBytes(of: id.bigEndian) { Array($0) } + withUnsafeBytes(of: UInt32(length).bigEndian) { Array($0) }
            + [UInt8](repeating: 0xAB, count: length)
    }

    /// A multiplex client with `sizes` sent; returns it and the id each request was given.
    static func multiplexClient(_ sizes: [UInt32]) -> (any ClientSession, [UInt32]) {
        let client = makeClient(.multiplex, pipelineDepth: 4)
        var ids: [UInt32] = []
        var scratch = [UInt8](repeating: 0, count: MultiplexFrame.requestLength)
        for size in sizes {
            _ = scratch.withUnsafeMutableBytes { client.writeRequest(size, last: false, into: $0) }
            ids.append(scratch[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            #expect(UInt32(client.lastRequest) == ids.last, "the id is the request's place")
        }
        return (client, ids)
    }

    @Test(arguments: [1, 5, 100_000])
    func framesAreMatchedByIdInAnyOrder(chunk: Int) {
        let (client, ids) = Self.multiplexClient([40_000, 16])
        let bytes = Self.frame(ids[0], 16_384) + Self.frame(ids[1], 16) + Self.frame(ids[0], 16_384)
            + Self.frame(ids[0], 40_000 - 2 * 16_384)
        let events = ClientSessionTests.events(bytes, chunk: chunk, client: client)
        #expect(events == [.firstByte, .firstByte, .response(.valid), .response(.valid)])
        #expect(client.outstanding == 0 && client.eventRequest == Int(ids[0]))
        #expect(client.receiveEnd().ending == .complete)
    }

    @Test(arguments: [
        frame(0, 16_385),  // over 16 KiB
        frame(0, 0),  // empty
        frame(3, 10),  // an id with nothing outstanding
        frame(0, 17),  // more than was asked for
    ])
    func aFrameTheProtocolDoesNotAllowIsABadResponse(bytes: [UInt8]) {
        let (client, _) = Self.multiplexClient([16])
        let events = ClientSessionTests.events(bytes, client: client)
        #expect(events.last == .bad)
        #expect(client.receiveEnd().ending == .badResponse)
    }

    @Test func aStreamThatEndsWithAnAnswerOwedEndedEarly() {
        let (client, ids) = Self.multiplexClient([100, 16])
        _ = ClientSessionTests.events(Self.frame(ids[1], 16), client: client)
        #expect(client.receiveEnd().ending == .closedEarly)
    }

    static func echoClient(size: Int) -> any ClientSession {
        var seed = WyRand(seed: 5)
        let content = RandomPool(maxSlice: 1 << 10, random: &seed)
        let client = makeClient(.echo, content: content)
        // An offset near the pool's end, so the exchange wraps around to its start.
        client.beginExchange(size: size, offset: content.bytes.count - 100)
        return client
    }

    /// What an echo of `size` bytes sends, from ``ClientSession/exchangeBytes(at:limit:)`` in pieces as the driver does.
    static func sent(_ client: any ClientSession, size: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count < size { bytes += client.exchangeBytes(at: bytes.count, limit: 333) }
        return bytes
    }

    @Test(arguments: [1, 64, 100_000])
    func anEchoOfWhatWasSentIsWhole(chunk: Int) {
        let client = Self.echoClient(size: 5_000)
        let sent = Self.sent(client, size: 5_000)
        #expect(sent.count == 5_000)
        let events = ClientSessionTests.events(sent, chunk: chunk, client: client)
        #expect(events == [.firstByte, .response(.valid)])
        #expect(client.receiveEnd().ending == .complete)
    }

    @Test func aChangedByteIsAMismatchAndAShortEchoEndedEarly() {
        let changed = Self.echoClient(size: 5_000)
        var bytes = Self.sent(changed, size: 5_000)
        bytes[4_321] ^= 1
        #expect(ClientSessionTests.events(bytes, client: changed).last == .mismatch)
        #expect(changed.receiveEnd().ending == .mismatch)

        let short = Self.echoClient(size: 5_000)
        _ = ClientSessionTests.events(Array(Self.sent(short, size: 5_000).dropLast()), client: short)
        #expect(short.receiveEnd().ending == .closedEarly)
    }

    @Test func aByteBeyondTheEchoIsABadResponse() {
        let client = Self.echoClient(size: 100)
        let events = ClientSessionTests.events(Self.sent(client, size: 100) + [0], client: client)
        #expect(events.suffix(2) == [.response(.valid), .bad])
    }
}
