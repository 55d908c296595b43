import Testing

@testable import Wire

/// The HTTP server side of Wire, through ``ServerSession`` as every model drives it.
@Suite struct HTTPServerSessionTests {
    static func request(_ line: String, _ fields: [String] = ["Host: test"], body: String = "") -> [UInt8] {
        Array((line + "\r\n" + fields.map { $0 + "\r\n" }.joined() + "\r\n" + body).utf8)
    }

    /// The responses in `output` (of GET requests), each split into its status line, its fields (names lowercased)
    /// and its body.
    static func responses(_ output: [UInt8]) -> [(status: String, fields: [String: String], body: [UInt8])] {
        var responses: [(String, [String: String], [UInt8])] = []
        var rest = output[...]
        while !rest.isEmpty {
            guard let end = rest.firstRange(of: Array("\r\n\r\n".utf8)) else { break }
            let lines = String(decoding: rest[..<end.lowerBound], as: UTF8.self).split(separator: "\r\n")
            var fields: [String: String] = [:]
            for line in lines.dropFirst() {
                let parts = line.split(separator: ":", maxSplits: 1)
                fields[parts[0].lowercased()] = parts[1].drop { $0 == " " }.description
            }
            let length = Int(fields["content-length"] ?? "0")!
            let body = rest[end.upperBound...].prefix(length)
            responses.append((String(lines[0]), fields, Array(body)))
            rest = rest[(end.upperBound + body.count)...]
        }
        return responses
    }

    @Test func getBytesAnswersThatManyRandomBytesAndKeepsTheConnection() {
        var conversation = SessionConversation(.http)
        conversation.feed(Self.request("GET /bytes/16 HTTP/1.1"))
        let responses = Self.responses(conversation.output)
        #expect(responses.count == 1 && conversation.responses == 1)
        #expect(responses[0].status == "HTTP/1.1 200 OK")
        #expect(responses[0].fields["content-length"] == "16")
        #expect(responses[0].fields["content-type"] == "application/octet-stream")
        #expect(responses[0].fields["date"]?.hasSuffix(" GMT") == true && responses[0].fields["server"] == "bench")
        #expect(responses[0].fields["connection"] == nil, "HTTP/1.1 keeps the connection without saying so")
        #expect(responses[0].body.count == 16)
        #expect(!conversation.session.isFinished && conversation.session.wantsInput)
    }

    @Test func theRootAnswersTheGreetingAsItsBody() {
        var conversation = SessionConversation(.http)
        conversation.feed(Self.request("GET / HTTP/1.1"))
        let body = Self.responses(conversation.output)[0].body
        let client = makeClient(.greeting)
        #expect(ClientSessionTests.events(body, client: client) == [.firstByte, .response(.valid)])
    }

    @Test func headSendsTheHeadOfWhatGetWouldSend() {
        var conversation = SessionConversation(.http)
        conversation.feed(Self.request("HEAD /bytes/100 HTTP/1.1") + Self.request("HEAD / HTTP/1.1"))
        let text = conversation.text
        #expect(text.hasSuffix("Content-Length: 81\r\n\r\n"), "\(text)")
        #expect(text.contains("Content-Length: 100\r\n\r\nHTTP/1.1 200 OK"), "no body after the first head: \(text)")
        #expect(conversation.responses == 2)
    }

    @Test func connectionCloseIsHonouredAndSaid() {
        var conversation = SessionConversation(.http)
        conversation.feed(Self.request("GET /bytes/4 HTTP/1.1", ["Host: x", "Connection: close"])
            + Self.request("GET /bytes/4 HTTP/1.1"))
        let responses = Self.responses(conversation.output)
        #expect(responses.count == 1, "nothing after a close is answered")
        #expect(responses[0].fields["connection"] == "close")
        #expect(conversation.session.isFinished)
    }

    @Test func http10ClosesUnlessItAsksForKeepAliveWhichIsEchoed() {
        var closing = SessionConversation(.http)
        closing.feed(Self.request("GET /bytes/1 HTTP/1.0", []))
        #expect(Self.responses(closing.output)[0].fields["connection"] == "close" && closing.session.isFinished)

        var kept = SessionConversation(.http)
        kept.feed(Self.request("GET /bytes/1 HTTP/1.0", ["Connection: Keep-Alive"]))
        #expect(Self.responses(kept.output)[0].fields["connection"] == "keep-alive" && !kept.session.isFinished)
    }

    @Test(arguments: [1, 2, 7, 1000])
    func pipelinedRequestsAreAnsweredInOrderWhateverTheChunking(chunk: Int) {
        let input = (1...5).flatMap { Self.request("GET /bytes/\($0) HTTP/1.1") }
        var conversation = SessionConversation(.http)
        conversation.feed(input, chunks: [chunk])
        let lengths = Self.responses(conversation.output).map { $0.fields["content-length"]! }
        #expect(lengths == ["1", "2", "3", "4", "5"])
        #expect(conversation.responses == 5)
        var whole = SessionConversation(.http)
        whole.feed(input)
        #expect(Self.responses(whole.output).map(\.status) == Self.responses(conversation.output).map(\.status))
    }

    @Test func aRequestBodyIsReadAndDiscarded() {
        var conversation = SessionConversation(.http)
        conversation.feed(Self.request("POST /bytes/1 HTTP/1.1", ["Host: x", "Content-Length: 11"], body: "hello world")
            + Self.request("GET /bytes/2 HTTP/1.1"), chunks: [3])
        let responses = Self.responses(conversation.output)
        #expect(responses.map(\.status) == ["HTTP/1.1 405 Method Not Allowed", "HTTP/1.1 200 OK"])
        #expect(responses[0].fields["allow"] == "GET, HEAD" && responses[1].body.count == 2)
        #expect(conversation.protocolErrors == 1)
    }

    /// Requests that are answered and keep the connection: a path we do not have, a method we do not serve, a size
    /// beyond --max-request.
    @Test(arguments: [
        ("GET /nope HTTP/1.1", "404 Not Found"),
        ("GET /bytes/16/x HTTP/1.1", "400 Bad Request"),
        ("DELETE /bytes/1 HTTP/1.1", "405 Method Not Allowed"),
        ("GET /bytes/1025 HTTP/1.1", "413 Content Too Large"),
    ])
    func unservableRequestsGetTheirStatus(line: String, status: String) {
        var conversation = SessionConversation(.http, maxRequestBytes: 1024)
        conversation.feed(Self.request(line) + Self.request("GET /bytes/3 HTTP/1.1"))
        let responses = Self.responses(conversation.output)
        #expect(responses.first?.status == "HTTP/1.1 " + status)
        #expect(conversation.protocolErrors == 1)
        if status.hasPrefix("400") {
            #expect(responses.count == 1 && conversation.session.isFinished, "a 400 closes")
        } else {
            #expect(responses.count == 2 && responses[1].body.count == 3, "the connection stays")
        }
    }

    /// Found by Fuzz/Targets/http-roundtrip (`Fuzz/corpus/http-roundtrip/count-then-ampersand`): after a count that
    /// is not a number the rest of the path was read as a query, and its `wait=63` (no unit) made the request a
    /// malformed one instead of a GET of a path answered 400. A query begins only at `?`.
    @Test func aCountThatIsNotANumberLeavesTheRestOfThePathAPath() {
        var parser = HTTPRequestParser()
        let bytes = Self.request("GET /bytes/;ext=0&wait=63 HTTP/1.1")
        let event = bytes.withUnsafeBytes { parser.parse($0, from: 0).event }
        guard case .head(let head) = event else {
            Issue.record("read as \(String(describing: event))")
            return
        }
        #expect(head.target == .badCount)
    }

    /// Requests that cannot be read to their end: answered, then the connection closes.
    @Test(arguments: [
        (request("GET /bytes/abc HTTP/1.1"), "400"),
        (request("GET /bytes/1 HTTP/1.1", []), "400"),  // HTTP/1.1 without Host
        (request("GET /bytes/1 HTTP/1.1", ["Host : x"]), "400"),  // a space before the colon
        (request("GET /bytes/1 HTTP/1.1", ["Host: x", " folded"]), "400"),  // obs-fold
        (request("GET /bytes/1 HTTP/1.1", ["Host: x", "Content-Length: 1", "Content-Length: 2"]), "400"),
        (request("GET /bytes/1 HTTP/1.1", ["Host: x", "Transfer-Encoding: chunked"]), "501"),
        (request("GET /bytes/1 HTTP/2.0"), "505"),
        (Array("GET /bytes/1 FTP/1.1\r\nHost: x\r\n\r\n".utf8), "400"),
        (Array("\u{1}\u{2}\u{3} garbage\r\n\r\n".utf8), "400"),
        (request("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1"), "414"),
        (request("GET /bytes/1 HTTP/1.1", ["Host: x"] + (0..<300).map { "X-Filler-\($0): " + String(repeating: "v", count: 30) }),
         "431"),
    ])
    func unreadableRequestsAreAnsweredAndClosed(input: [UInt8], status: String) {
        var conversation = SessionConversation(.http)
        conversation.feed(input + Self.request("GET /bytes/1 HTTP/1.1"), chunks: [100])
        let responses = Self.responses(conversation.output)
        #expect(responses.count == 1 && responses[0].status.hasPrefix("HTTP/1.1 " + status), "\(responses.map(\.status))")
        #expect(responses[0].fields["connection"] == "close")
        #expect(conversation.session.isFinished && conversation.protocolErrors == 1)
    }

    @Test func aHostileStreamWithoutLineEndsIsRefusedAndNothingIsKept() {
        // A megabyte with no line end: refused at the request line's limit, the rest taken and dropped.
        var conversation = SessionConversation(.http)
        conversation.feed(Array(repeating: UInt8(ascii: "a"), count: 1 << 20), chunks: [65536])
        #expect(Self.responses(conversation.output).map(\.status) == ["HTTP/1.1 414 URI Too Long"])
        #expect(conversation.session.isFinished && conversation.mostUntaken == 0)
    }

    @Test func aClientThatPipelinesWithoutReadingIsNotReadFrom() {
        // 1,000 requests in one chunk: the session takes as many as it may hold answers for, then wants no input.
        let session = SessionConversation(.http).session
        let input = (0..<1000).flatMap { _ in Self.request("GET /bytes/1 HTTP/1.1") }
        let received = input.withUnsafeBytes { session.receive($0) }
        let one = Self.request("GET /bytes/1 HTTP/1.1").count
        #expect(received.consumed == ServerSessionLimits.pendingAnswers * one)
        #expect(!session.wantsInput)
    }

    @Test func aRequestIsMidwayFromItsFirstByteToItsBodysLast() {
        var conversation = SessionConversation(.http)
        #expect(!conversation.session.isMidRequest)
        conversation.feed(Array("\r\n".utf8))  // an empty line before a request: the slowloris's cheapest byte
        #expect(conversation.session.isMidRequest && conversation.session.requestsBegun == 1)
        conversation.feed(Array("GET /bytes/1 HTTP/1.1\r\nHo".utf8))
        #expect(conversation.session.isMidRequest && conversation.session.requestsBegun == 1)
        conversation.feed(Array("st: x\r\nContent-Length: 3\r\n\r\nab".utf8))
        #expect(conversation.session.isMidRequest, "its body is not whole yet")
        conversation.feed(Array("c".utf8))
        #expect(!conversation.session.isMidRequest && conversation.responses == 1)
        conversation.feed(Array("G".utf8))
        #expect(conversation.session.isMidRequest && conversation.session.requestsBegun == 2)
    }

    @Test func aBodyLargerThanTheLargestAnswerIsRefusedUnread() {
        var conversation = SessionConversation(.http, maxRequestBytes: 1024)
        conversation.feed(Self.request("POST /bytes/1 HTTP/1.1", ["Host: x", "Content-Length: 1025"], body: "abc"))
        let responses = Self.responses(conversation.output)
        #expect(responses.map(\.status) == ["HTTP/1.1 413 Content Too Large"])
        #expect(responses[0].fields["connection"] == "close" && conversation.session.isFinished)
        #expect(conversation.session.lingers, "the client is still sending its body")
    }

    @Test func nothingAfterAClosingRequestIsReadEvenInALaterChunk() {
        // The second chunk comes before the first chunk's answer is taken: it is not parsed, nor counted.
        let session = SessionConversation(.http).session
        let closing = Self.request("GET /bytes/1 HTTP/1.1", ["Host: x", "Connection: close"])
        _ = closing.withUnsafeBytes { session.receive($0) }
        let later = Self.request("GET /nope HTTP/1.1").withUnsafeBytes { session.receive($0) }
        #expect(later.protocolErrors == 0 && !session.wantsInput && !session.lingers)
    }

    @Test func theClientsEndClosesAfterTheAnswers() {
        var conversation = SessionConversation(.http)
        conversation.feed(Self.request("GET /bytes/5 HTTP/1.1"), end: true)
        #expect(conversation.responses == 1 && conversation.session.isFinished)
    }

    @Test func absoluteFormAndQueriesNameTheSamePaths() {
        var conversation = SessionConversation(.http)
        conversation.feed(Self.request("GET http://example.com:8080/bytes/7?x=1 HTTP/1.1")
            + Self.request("GET /?q HTTP/1.1"))
        let responses = Self.responses(conversation.output)
        #expect(responses.map { $0.fields["content-length"] } == ["7", "81"])
    }

    @Test func serverOutputSatisfiesTheClientSessionWithPipelining() {
        var random = WyRand(seed: 5)
        let sizes = (0..<40).map { _ in UInt32(random.next() % 70_000 + 1) }
        let template = HTTPRequestTemplate(path: "/bytes/{size}", authority: "test", fields: [])
        let client = makeClient(.http, pipelineDepth: sizes.count, template: template)
        var requests: [UInt8] = []
        var scratch = [UInt8](repeating: 0, count: template.capacity)
        for (index, size) in sizes.enumerated() {
            let length = scratch.withUnsafeMutableBytes { client.writeRequest(size, last: index == sizes.count - 1, into: $0) }
            requests += scratch[0..<length]
        }
        var conversation = SessionConversation(.http)
        conversation.feed(requests, chunks: [13])
        #expect(conversation.session.isFinished, "the last request asked to close")
        let events = ClientSessionTests.events(conversation.output, chunk: 1500, client: client)
        #expect(events.filter { $0 == .response(.valid) }.count == sizes.count && !events.contains(.bad))
        #expect(client.serverCloses && client.receiveEnd().ending == .complete)
    }
}
