import Testing

@testable import Wire

/// HTTP/2 in memory: the driver's client session against the server session, and each against frames written by hand
/// (RFC 9113 §4.1: a 9-byte head, length u24, type, flags, stream u31), so that neither side only agrees with itself.
@Suite struct HTTP2SessionTests {
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    /// One frame: `type`, `flags`, `stream`, `payload`.
    static func frame(_ type: UInt8, flags: UInt8 = 0, stream: UInt32 = 0, _ payload: [UInt8] = []) -> [UInt8] {
        let length = UInt32(payload.count)
        return [UInt8(length >> 16), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type, flags]
            + bigEndian(stream) + payload
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// A SETTINGS frame of (id, value) pairs.
    static func settings(_ entries: [(UInt16, UInt32)]) -> [UInt8] {
        frame(4, entries.flatMap { [UInt8($0.0 >> 8), UInt8($0.0 & 0xFF)] + bigEndian($0.1) })
    }

    /// HEADERS (END_STREAM, END_HEADERS) for `GET path` on `stream`, in HPACK without the dynamic table or Huffman:
    /// `:method GET` and `:scheme http` indexed (static entries 2 and 6), `:path` and `:authority` literal with their
    /// names indexed (4 and 1).
    static func get(_ path: String, stream: UInt32) -> [UInt8] {
        let path = Array(path.utf8)
        return frame(1, flags: 0x5, stream: stream, [0x82, 0x86, 0x04, UInt8(path.count)] + path + [0x01, 1, 0x74])
    }

    /// The frames in `bytes`: type, flags, stream and payload of each, and whether a frame was left cut.
    typealias Frame = (type: UInt8, flags: UInt8, stream: UInt32, payload: [UInt8])

    static func frames(_ bytes: [UInt8]) -> (frames: [Frame], cut: Bool) {
        var frames: [Frame] = []
        var offset = 0
        while offset + 9 <= bytes.count {
            let length = Int(bytes[offset]) << 16 | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
            guard offset + 9 + length <= bytes.count else { return (frames, true) }
            let stream = bytes[(offset + 5)..<(offset + 9)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } & 0x7FFF_FFFF
            frames.append((bytes[offset + 3], bytes[offset + 4], stream, Array(bytes[(offset + 9)..<(offset + 9 + length)])))
            offset += 9 + length
        }
        return (frames, offset != bytes.count)
    }

    static func template(_ path: String) -> HTTPRequestTemplate {
        HTTPRequestTemplate(path: path, authority: "test", fields: ["X-Test: 1"])
    }

    /// Writes a request for each size on `client`; returns the bytes it sent.
    static func requests(_ sizes: [UInt32], on client: any ClientSession) -> [UInt8] {
        var sent: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: client.requestCapacity)
        for size in sizes {
            let length = buffer.withUnsafeMutableBytes { client.writeRequest(size, last: false, into: $0) }
            sent += buffer[..<length]
        }
        return sent
    }

    static func events(_ bytes: [UInt8], chunk: Int = .max, client: any ClientSession) -> [(ClientEvent, Int)] {
        placedEvents(bytes, chunk: chunk, client: client).map { ($0.event, $0.place) }
    }

    // MARK: The two sessions together

    @Test(arguments: [1, 100, Int.max])
    func everyStreamIsAnsweredWholeWhateverTheChunking(chunk: Int) {
        let sizes: [UInt32] = [1, 16, 16_385, 70_000, 1 << 20, 0, 5]
        let client = makeClient(.h2, pipelineDepth: sizes.count, template: Self.template("/bytes/{size}"))
        var server = SessionConversation(.h2)
        server.feed(Self.requests(sizes, on: client), chunks: [chunk])
        #expect(!client.canSend, "as many streams in flight as the depth")
        let events = Self.events(server.output, chunk: chunk, client: client)
        let answered = events.filter { $0.0 == .response(.valid) }.map(\.1).sorted()
        #expect(answered == Array(0..<sizes.count), "\(events)")
        #expect(events.filter { $0.0 == .firstByte }.count == sizes.count)
        #expect(client.outstanding == 0 && client.canSend)
        #expect(server.responses == sizes.count, "each answer counted once its last frame is out")
        #expect(server.protocolErrors == 0)
        #expect(server.session.owesNothing && server.session.wantsInput)
    }

    @Test func aSmallAnswerOvertakesALargeOneAskedBeforeIt() {
        let client = makeClient(.h2, pipelineDepth: 2, template: Self.template("/bytes/{size}"))
        var server = SessionConversation(.h2)
        server.feed(Self.requests([1 << 20, 16], on: client))
        let answered = Self.events(server.output, client: client).filter { $0.0 == .response(.valid) }.map(\.1)
        #expect(answered == [1, 0], "the 16 bytes are whole before the MiB")
    }

    /// The socket takes half of what one gather laid out, as a slow link's does: what is left waits.
    static func sendHalf(of session: any ServerSession, using random: inout WyRand) -> [UInt8] {
        let gathered = session.gather(using: &random).flatMap { $0 }
        let half = gathered.count / 2
        _ = session.advance(half)
        return Array(gathered[..<half])
    }

    /// A request that comes while a large answer waits on the socket is read at once, and its answer laid between
    /// the large one's frames, rather than left unread until the large answer is all in the socket: HTTP/1.1's
    /// head-of-line wait, which streams exist to remove.
    @Test func aRequestThatComesWhileALargeAnswerWaitsIsReadAndOvertakesIt() {
        let client = makeClient(.h2, pipelineDepth: 2, template: Self.template("/bytes/{size}"))
        var server = SessionConversation(.h2)
        let session = server.session
        let large = Self.requests([1 << 20], on: client)
        #expect(large.withUnsafeBytes { session.receive($0) }.consumed == large.count)
        let half = Self.sendHalf(of: session, using: &server.random)
        #expect(session.wantsInput, "reading on with an answer waiting")
        let small = Self.requests([16], on: client)
        #expect(small.withUnsafeBytes { session.receive($0) }.consumed == small.count)
        server.drain()
        let answered = Self.events(half + server.output, client: client).filter { $0.0 == .response(.valid) }.map(\.1)
        #expect(answered == [1, 0], "the 16 bytes asked second are whole before the MiB asked first")
    }

    /// Reading on while answers wait is bounded: a client that asks and does not read is no longer read from once it
    /// is owed ``ServerSessionLimits/pendingAnswers`` answers.
    @Test func itStopsReadingAtItsLimitOfOwedAnswersWhileOutputWaits() {
        let session = SessionConversation(.h2).session
        var random = WyRand(seed: 7)
        let first = Self.preface + Self.settings([]) + Self.get("/bytes/100000", stream: 1)
        _ = first.withUnsafeBytes { session.receive($0) }
        _ = Self.sendHalf(of: session, using: &random)
        var wanted: [Bool] = []  // after each further request: 2, 3, ... answers owed
        for stream in stride(from: UInt32(3), to: UInt32(2 * ServerSessionLimits.pendingAnswers + 1), by: 2) {
            _ = Self.get("/bytes/100000", stream: stream).withUnsafeBytes { session.receive($0) }
            wanted.append(session.wantsInput)
        }
        #expect(wanted == Array(repeating: true, count: ServerSessionLimits.pendingAnswers - 2) + [false])
    }

    @Test func theClientHalfClosingGetsItsAnswersThenTheClose() {
        let client = makeClient(.h2, pipelineDepth: 2, template: Self.template("/bytes/{size}"))
        var server = SessionConversation(.h2)
        server.feed(Self.requests([100, 200], on: client), end: true)
        #expect(server.responses == 2)
        #expect(server.session.isFinished)
    }

    /// The routes, statuses and protocol errors of HTTP/1.1 (``HTTPResponseHead/route``, ``HTTPPath``).
    @Test(arguments: [
        ("/", ResponseOutcome.valid, 0), ("/bytes/3000000", .clientError, 1), ("/nope", .clientError, 1),
        ("/bytes/12x", .clientError, 1), ("/bytes/5?wait=forever", .clientError, 1), ("/bytes/5?x=1", .valid, 0),
    ])
    func routesAsHTTP11(path: String, outcome: ResponseOutcome, protocolErrors: Int) {
        let client = makeClient(.h2, template: Self.template(path), checksLength: false)
        var server = SessionConversation(.h2)
        server.feed(Self.requests([1], on: client))
        #expect(Self.events(server.output, client: client).map(\.0) == [.firstByte, .response(outcome)])
        #expect(server.protocolErrors == protocolErrors)
    }

    @Test func theQueryWorkIsTheRequests() {
        let client = makeClient(.h2, template: Self.template("/bytes/{size}?cpu=50us&wait=2ms"))
        var server = SessionConversation(.h2)
        server.feed(Self.requests([16], on: client))
        #expect(server.work == RequestWork(cpuNanos: 50_000, waitNanos: 2_000_000))
    }

    // MARK: The server against frames written by hand

    /// 101 requests at once on fresh streams.
    static let requests101 = (0..<101).flatMap { get("/bytes/1", stream: UInt32(2 * $0 + 1)) }

    @Test func theServerSaysItsStreamLimitFirstAndRefusesAStreamPastIt() {
        var conversation = SessionConversation(.h2)
        conversation.feed(Self.preface + Self.settings([]))
        let first = Self.frames(conversation.output).frames.first
        #expect(
            first?.type == 4 && first?.payload == [0, 3] + Self.bigEndian(100) + [0, 6] + Self.bigEndian(16_384),
            "SETTINGS_MAX_CONCURRENT_STREAMS 100, SETTINGS_MAX_HEADER_LIST_SIZE 16 KiB")
        // Before the client acknowledges the SETTINGS, a stream past the limit is refused (nghttp2 ends the
        // connection for one after it: below).
        conversation.feed(Self.requests101)
        let resets = Self.frames(conversation.output).frames.filter { $0.type == 3 }
        #expect(resets.map(\.stream) == [201], "the 101st stream is refused")
        #expect(resets.first?.payload == Self.bigEndian(7), "REFUSED_STREAM")
        #expect(conversation.responses == 100)
    }

    /// The preface or a request trickled byte by byte is mid-request from its first byte to its last (the models'
    /// slowloris deadline); so is a frame of any kind, which nghttp2 holds until it is whole.
    @Test func aTrickledRequestIsMidRequestUntilWhole() {
        var conversation = SessionConversation(.h2)
        var midAfter: [Bool] = []
        for byte in Self.preface + Self.settings([]) + Self.get("/bytes/1", stream: 1) {
            conversation.feed([byte])
            midAfter.append(conversation.session.isMidRequest)
        }
        let settingsEnd = Self.preface.count + 9
        #expect(midAfter[..<(Self.preface.count - 1)].allSatisfy { $0 }, "inside the preface")
        #expect(!midAfter[Self.preface.count - 1] && !midAfter[settingsEnd - 1], "the preface whole, SETTINGS whole")
        #expect(midAfter[settingsEnd..<(midAfter.count - 1)].allSatisfy { $0 }, "inside the HEADERS frame")
        #expect(!midAfter.last! && conversation.responses == 1)
        conversation.feed(Array(Self.frame(6, [UInt8](repeating: 1, count: 8)).prefix(3)))
        #expect(conversation.session.isMidRequest, "a PING's head begun")
        #expect(conversation.session.requestsBegun == 4, "the preface, SETTINGS, HEADERS, PING: each timed anew")
    }

    @Test func theServerSendsNoMoreThanTheClientsWindow() {
        var conversation = SessionConversation(.h2)
        // A stream window of 100 bytes (SETTINGS_INITIAL_WINDOW_SIZE), then 1,000 bytes asked.
        conversation.feed(Self.preface + Self.settings([(4, 100)]) + Self.get("/bytes/1000", stream: 1))
        func data() -> [UInt8] {
            Self.frames(conversation.output).frames.filter { $0.type == 0 && $0.stream == 1 }.flatMap(\.payload)
        }
        #expect(data().count == 100, "the window's 100 bytes, and no more")
        #expect(conversation.responses == 0 && !conversation.session.owesNothing)
        conversation.feed(Self.frame(8, stream: 1, Self.bigEndian(900)))
        #expect(data().count == 1000, "the rest once the window opens")
        #expect(conversation.responses == 1)
    }

    @Test func aStopSaysGoawayAndFinishesTheStreamInFlight() {
        var conversation = SessionConversation(.h2)
        // A stream window of 0: the answer's body waits for the client.
        conversation.feed(Self.preface + Self.settings([(4, 0)]) + Self.get("/bytes/100", stream: 1))
        conversation.session.beginStop()
        conversation.feed([])
        let goaway = Self.frames(conversation.output).frames.last { $0.type == 7 }
        #expect(goaway?.payload == Self.bigEndian(1) + Self.bigEndian(0), "last stream 1, NO_ERROR")
        #expect(!conversation.session.isFinished, "the stream in flight is still owed")
        conversation.feed(Self.frame(8, stream: 1, Self.bigEndian(100)))
        let data = Self.frames(conversation.output).frames.filter { $0.type == 0 && $0.stream == 1 }
        #expect(data.flatMap(\.payload).count == 100 && conversation.responses == 1)
        #expect(conversation.session.isFinished, "then the connection closes")
    }

    /// Broken input, each with the GOAWAY error code it earns and whether nghttp2 reports it (a frame too large for
    /// any stream it answers without a word to the session).
    static let broken: [String: (input: [UInt8], code: UInt32, reported: Bool)] = [
        "a bad preface": (Array("GET / HTTP/1.1\r\n\r\n".utf8) + [UInt8](repeating: 0xAB, count: 64), 1, true),
        "a PING on a stream": (preface + settings([]) + frame(6, stream: 1, [UInt8](repeating: 0, count: 8)), 1, true),
        "a frame over the largest size": (preface + settings([]) + [0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 1], 6, false),
        "a window past 2^31-1": (preface + settings([]) + frame(8, bigEndian(0x7FFF_FFFF)), 3, true),
        "streams past the acknowledged limit": (preface + settings([]) + frame(4, flags: 1) + requests101, 1, true),
    ]

    /// Hostile input never traps: nghttp2 answers GOAWAY with an error code and the connection closes.
    @Test(arguments: broken.keys.sorted())
    func aBrokenConnectionIsAnsweredWithGoaway(_ name: String) {
        let (input, code, reported) = Self.broken[name]!
        var conversation = SessionConversation(.h2)
        conversation.feed(input)
        let (frames, cut) = Self.frames(conversation.output)
        #expect(!cut)
        let goaway = frames.last { $0.type == 7 }
        #expect(goaway.map { Array($0.payload[4..<8]) } == Self.bigEndian(code), "\(frames.map(\.type))")
        #expect(conversation.session.isFinished)
        #expect(conversation.protocolErrors >= (reported ? 1 : 0))
    }

    // MARK: The client against frames written by hand

    @Test func theClientOpensNoMoreStreamsThanTheServerAllows() {
        let client = makeClient(.h2, pipelineDepth: 10, template: Self.template("/bytes/{size}"))
        _ = Self.requests([1], on: client)
        _ = Self.events(Self.settings([(3, 2)]), client: client)
        #expect(client.canSend)
        _ = Self.requests([1], on: client)
        #expect(!client.canSend, "two streams open, the server's SETTINGS_MAX_CONCURRENT_STREAMS")
    }

    @Test func aResetStreamIsItsOwnOutcomeAndTheConnectionGoesOn() {
        let client = makeClient(.h2, pipelineDepth: 2, template: Self.template("/bytes/{size}"))
        _ = Self.requests([1, 1], on: client)
        let events = Self.events(
            Self.settings([]) + Self.frame(3, stream: 3, Self.bigEndian(7)) + Self.frame(3, stream: 1, Self.bigEndian(2)),
            client: client)
        #expect(events.map(\.0) == [.response(.reset(7)), .response(.reset(2))])
        #expect(events.map(\.1) == [1, 0], "each on its request's place")
        #expect(client.outstanding == 0 && client.canSend)
        #expect(client.receiveEnd().ending == .complete)
    }

    /// nginx's GOAWAY after 1,000 requests: the streams past its last one were never seen, and are no failure.
    @Test func streamsPastAGracefulGoawayAreRetiredWithoutAFailure() {
        let client = makeClient(.h2, pipelineDepth: 2, template: Self.template("/bytes/{size}"))
        _ = Self.requests([1, 1], on: client)
        let answer = Self.settings([]) + Self.frame(7, Self.bigEndian(1) + Self.bigEndian(0))
            + Self.frame(1, flags: 4, stream: 1, [0x88]) + Self.frame(0, flags: 1, stream: 1, [7])
        #expect(Self.events(answer, client: client).map(\.0) == [.firstByte, .response(.valid)])
        #expect(client.outstanding == 0 && !client.canSend && client.serverCloses)
        #expect(client.receiveEnd().ending == .complete)
    }

    @Test func aGoawayWithAnErrorEndsTheConnectionAsItsOwnKind() {
        let client = makeClient(.h2, template: Self.template("/bytes/{size}"))
        _ = Self.requests([1], on: client)
        let events = Self.events(Self.settings([]) + Self.frame(7, Self.bigEndian(0) + Self.bigEndian(2)), client: client)
        #expect(events.map(\.0) == [.response(.reset(7))], "the stream past its last one was not processed")
        #expect(!client.canSend && client.serverCloses)
        #expect(client.receiveEnd().ending == .goaway)
    }

    @Test func aBodyOfTheWrongLengthIsBad() {
        let client = makeClient(.h2, template: Self.template("/bytes/{size}"))
        _ = Self.requests([4], on: client)
        // HEADERS `:status 200` (static entry 8), then 3 bytes that end the stream.
        let answer = Self.settings([]) + Self.frame(1, flags: 4, stream: 1, [0x88])
            + Self.frame(0, flags: 1, stream: 1, [1, 2, 3])
        #expect(Self.events(answer, client: client).map(\.0) == [.firstByte, .bad])
        #expect(client.receiveEnd().ending == .badResponse)
    }
}
