/// HTTP's client side: responses parsed as they stream by (``HTTPResponseParser``), each judged against the oldest
/// outstanding request: 4xx and 5xx are failures of their own kinds, a 2xx body of the wrong length a bad response
/// (when lengths are checked).
final class HTTPClientSession: ClientSession {
    private let template: HTTPRequestTemplate
    private let checksLength: Bool
    private var ring: RequestRing
    private var parser = HTTPResponseParser()
    private var bad = false
    private(set) var serverCloses = false
    private(set) var lastRequest = 0
    private(set) var eventRequest = 0

    init(_ settings: ClientSessionSettings) {
        template = settings.template!
        checksLength = settings.checksLength
        ring = RequestRing(depth: settings.pipelineDepth)
    }

    func reset() {
        ring.reset()
        parser = HTTPResponseParser()
        bad = false
        serverCloses = false
        lastRequest = 0
        eventRequest = 0
    }

    var outstanding: Int { ring.outstanding }
    var canSend: Bool { !ring.isFull && !serverCloses }
    var requestCapacity: Int { template.capacity }

    /// `last` asks the server to close after its answer (`Connection: close`), as an HTTP client ends a connection.
    func writeRequest(_ size: UInt32, last: Bool, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        precondition(canSend, "request sent beyond the pipeline depth")
        lastRequest = ring.push(size)
        return template.write(size: size, last: last, into: buffer)
    }

    func next(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (end: Int, event: ClientEvent?) {
        guard !bad, start < bytes.count else { return (bytes.count, nil) }
        guard ring.outstanding > 0 else { return fail(bytes) }
        let (end, event) = parser.parse(bytes, from: start)
        switch event {
        case nil: return (end, nil)
        case .firstByte:
            eventRequest = ring.head
            return (end, .firstByte)
        case .malformed: return fail(bytes)
        case .complete(let response): return (end, finish(response))
        }
    }

    /// A body framed by the end of the stream ends here.
    func receiveEnd() -> (event: ClientEvent?, ending: ConnectionEnding) {
        if bad { return (nil, .badResponse) }
        guard let response = parser.receiveEnd() else {
            return (nil, ring.outstanding == 0 && parser.isIdle ? .complete : .closedEarly)
        }
        let event = finish(response)
        return (event, bad ? .badResponse : ring.outstanding == 0 ? .complete : .closedEarly)
    }

    /// Judges a whole response against the oldest outstanding request and retires that request.
    private func finish(_ response: HTTPResponseParser.Response) -> ClientEvent {
        let size = Int(ring.oldest)
        eventRequest = ring.pop()
        if response.closes { serverCloses = true }
        switch response.status {
        case 400..<500: return .response(.clientError)
        case 500...: return .response(.serverError)
        default:
            guard !checksLength || response.bodyLength == size else {
                bad = true
                return .bad
            }
            return .response(.valid)
        }
    }

    private func fail(_ bytes: UnsafeRawBufferPointer) -> (end: Int, event: ClientEvent?) {
        bad = true
        return (bytes.count, .bad)
    }
}
