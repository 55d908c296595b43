import Testing

@testable import Wire

/// Which requests carry work (`--work`, or an HTTP request's query): the sessions draw it for every request they will
/// answer, and the models do what the input's requests add up to.
@Suite struct RequestWorkSessionTests {
    private static let wait = WorkPlan(wait: .fixed(1_000_000))

    @Test func everyRequestOfAPipelineCarriesItsWork() {
        var request = SessionConversation(.request, work: Self.wait)
        request.feed((0..<3).flatMap { _ in withUnsafeBytes(of: UInt32(16).bigEndian) { Array($0) } }, chunks: [5])
        #expect(request.work == RequestWork(waitNanos: 3_000_000, requests: 3))
        var multiplex = SessionConversation(.multiplex, work: Self.wait)
        let frames = [(UInt32(1), UInt32(16)), (2, 16)].flatMap { id, size in
            withUnsafeBytes(of: id.bigEndian) { Array($0) } + withUnsafeBytes(of: size.bigEndian) { Array($0) }
        }
        multiplex.feed(frames)
        #expect(multiplex.work == RequestWork(waitNanos: 2_000_000, requests: 2))
    }

    @Test func withoutAPlanNothingIsDrawn() {
        var request = SessionConversation(.request)
        request.feed(withUnsafeBytes(of: UInt32(16).bigEndian) { Array($0) })
        #expect(request.work.isNone && request.responses == 1)
    }

    /// A refused request is answered at once: it asks the backend nothing.
    @Test func anHTTPRequestRefusedCarriesNoWork() {
        var http = SessionConversation(.http, work: Self.wait)
        http.feed(HTTPServerSessionTests.request("GET /nothing HTTP/1.1") + HTTPServerSessionTests.request("GET / HTTP/1.1"))
        #expect(http.work == RequestWork(waitNanos: 1_000_000, requests: 1))
    }

    @Test func anHTTPQueryAsksForItsOwnWork() {
        var http = SessionConversation(.http, work: Self.wait)
        http.feed(HTTPServerSessionTests.request("GET /bytes/16?x=1&cpu=50us&wait=2ms&block=1s HTTP/1.1"))
        #expect(http.work == RequestWork(cpuNanos: 50_000, waitNanos: 2_000_000, blockNanos: 1_000_000_000))
        #expect(http.responses == 1 && http.protocolErrors == 0)
        var plain = SessionConversation(.http)
        plain.feed(HTTPServerSessionTests.request("GET /?wait=3ms HTTP/1.1"))
        #expect(plain.work == RequestWork(waitNanos: 3_000_000))
    }

    /// `cpu=20000000000s` once overflowed while its limit was checked, and trapped: one request stopped any model.
    @Test(arguments: ["wait=2", "wait=ms", "cpu=5parsecs", "block=61s", "wait", "cpu=20000000000s", "wait=99999999999999999999999ms"])
    func aQueryWhoseWorkIsNotADurationIsABadRequest(query: String) {
        var http = SessionConversation(.http)
        http.feed(HTTPServerSessionTests.request("GET /bytes/16?\(query) HTTP/1.1"))
        #expect(String(decoding: http.output, as: UTF8.self).hasPrefix("HTTP/1.1 400 "), "\(query)")
        #expect(http.work.isNone)
    }
}
