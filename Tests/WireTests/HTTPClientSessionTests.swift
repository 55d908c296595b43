import Testing

@testable import Wire

/// The driver's side of HTTP: responses framed every way RFC 9112 allows, judged against what was asked.
@Suite struct HTTPClientSessionTests {
    static let template = HTTPRequestTemplate(path: "/bytes/{size}", authority: "test:80", fields: [])

    static func client(asking sizes: [UInt32], checksLength: Bool = true) -> any ClientSession {
        let client = makeClient(.http, pipelineDepth: 8, template: template, checksLength: checksLength)
        var scratch = [UInt8](repeating: 0, count: template.capacity)
        for size in sizes { _ = scratch.withUnsafeMutableBytes { client.writeRequest(size, last: false, into: $0) } }
        return client
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test(arguments: [1, 3, 10_000])
    func aContentLengthBodyInAnyChunkingIsOneValidResponse(chunk: Int) {
        let client = Self.client(asking: [5])
        let events = ClientSessionTests.events(
            Self.bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhello"), chunk: chunk, client: client)
        #expect(events == [.firstByte, .response(.valid)])
        #expect(!client.serverCloses && client.receiveEnd().ending == .complete)
    }

    @Test(arguments: [1, 4, 10_000])
    func aChunkedBodyWithExtensionsAndTrailersIsCounted(chunk: Int) {
        let client = Self.client(asking: [9])
        let response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "4;name=value\r\nabcd\r\n5\r\nefghi\r\n0\r\nX-Trailer: 1\r\n\r\n"
        #expect(ClientSessionTests.events(Self.bytes(response), chunk: chunk, client: client)
            == [.firstByte, .response(.valid)])
        #expect(client.outstanding == 0)
    }

    @Test func aBodyWithoutLengthEndsWithTheStream() {
        let client = Self.client(asking: [3])
        #expect(ClientSessionTests.events(Self.bytes("HTTP/1.0 200 OK\r\n\r\nabc"), client: client) == [.firstByte])
        let (event, ending) = client.receiveEnd()
        #expect(event == .response(.valid) && ending == .complete)
    }

    @Test func statusClassesAreTheirOwnOutcomes() {
        let client = Self.client(asking: [1, 1, 1])
        let events = ClientSessionTests.events(
            Self.bytes("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno"
                + "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"
                + "HTTP/1.1 204 No Content\r\n\r\n"), client: client)
        // A 204 carries no body: for /bytes/1, that is a body of the wrong length.
        #expect(events == [.firstByte, .response(.clientError), .firstByte, .response(.serverError), .firstByte, .bad])
    }

    @Test func aBodyOfTheWrongLengthIsBadOnlyWhenLengthsAreChecked() {
        let response = Self.bytes("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc")
        let checked = Self.client(asking: [4])
        #expect(ClientSessionTests.events(response, client: checked).last == .bad)
        let unchecked = Self.client(asking: [4], checksLength: false)
        #expect(ClientSessionTests.events(response, client: unchecked).last == .response(.valid))
    }

    @Test func connectionCloseAndHTTP10SayTheServerCloses() {
        for response in ["HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx",
                         "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx"] {
            let client = Self.client(asking: [1, 1])
            _ = ClientSessionTests.events(Self.bytes(response), client: client)
            #expect(client.serverCloses && !client.canSend, "\(response)")
        }
        let kept = Self.client(asking: [1])
        _ = ClientSessionTests.events(
            Self.bytes("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx"), client: kept)
        #expect(!kept.serverCloses)
    }

    @Test func anInterimResponseIsSkipped() {
        let client = Self.client(asking: [2])
        let events = ClientSessionTests.events(
            Self.bytes("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), client: client)
        #expect(events == [.firstByte, .response(.valid)])
    }

    @Test(arguments: [
        "SSH-2.0-OpenSSH\r\n",
        "HTTP/1.1 2x0 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/2 200\r\n\r\n",
    ])
    func whatIsNotHTTP11IsBad(response: String) {
        let client = Self.client(asking: [1])
        #expect(ClientSessionTests.events(Self.bytes(response), client: client).last == .bad)
        #expect(client.receiveEnd().ending == .badResponse)
    }

    @Test func aResponseCutShortClosedEarly() {
        let client = Self.client(asking: [10])
        _ = ClientSessionTests.events(Self.bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"), client: client)
        #expect(client.receiveEnd().ending == .closedEarly)
    }

    @Test func requestsFollowTheTemplate() {
        let template = HTTPRequestTemplate(
            path: "/bytes/{size}?tag=1", authority: "[::1]:8080", fields: ["X-Run: 7", "Accept: */*"])
        var scratch = [UInt8](repeating: 0, count: template.capacity)
        let length = scratch.withUnsafeMutableBytes { template.write(size: 4096, last: false, into: $0) }
        #expect(String(decoding: scratch[0..<length], as: UTF8.self)
            == "GET /bytes/4096?tag=1 HTTP/1.1\r\nHost: [::1]:8080\r\nX-Run: 7\r\nAccept: */*\r\n\r\n")
        let last = scratch.withUnsafeMutableBytes { template.write(size: 1, last: true, into: $0) }
        #expect(String(decoding: scratch[0..<last], as: UTF8.self).hasSuffix("Accept: */*\r\nConnection: close\r\n\r\n"))
        #expect(template.capacity >= length && template.asksSize)
    }

    @Test func aHostFieldOfTheUsersReplacesOursAndBadFieldsAreNamed() {
        let template = HTTPRequestTemplate(path: "/", authority: "a:1", fields: ["host: b"])
        var scratch = [UInt8](repeating: 0, count: template.capacity)
        let length = scratch.withUnsafeMutableBytes { template.write(size: 1, last: false, into: $0) }
        #expect(String(decoding: scratch[0..<length], as: UTF8.self) == "GET / HTTP/1.1\r\nhost: b\r\n\r\n")
        #expect(!template.asksSize)
        #expect(HTTPRequestTemplate.problem(with: "X-Ok: fine") == nil)
        #expect(HTTPRequestTemplate.problem(with: "no colon")?.contains("Name: value") == true)
        #expect(HTTPRequestTemplate.problem(with: "Bad Name: x")?.contains("name") == true)
        #expect(HTTPRequestTemplate.problem(with: "X: a\r\nInjected: b")?.contains("control") == true)
    }
}
