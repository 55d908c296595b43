/// The client's side of one connection, sans I/O: the driver has it write each request and feeds it what it reads;
/// it says, event by event, when a response began, when one ended and how, and whether the server kept to the
/// protocol.
///
/// Response bytes of the request protocol and of `/bytes/N` are random, so checking them is counting them: a
/// response is whole when its n-th byte arrives, and a byte beyond what was asked for is a bad response. Greeting
/// frames are checked byte by byte as they arrive; HTTP responses are parsed as they stream by
/// (``HTTPResponseParser``). Nothing is buffered. Up to `pipelineDepth` requests may be outstanding; their sizes sit
/// in a fixed ring.
public struct ClientSession: Sendable {
    /// What the bytes read so far brought, one event at a time.
    public enum Event: Equatable, Sendable {
        /// The first byte of the oldest outstanding response (or of the greeting).
        case firstByte
        /// The oldest outstanding response is whole.
        case response(Outcome)
        /// The server sent bytes the protocol does not allow, or a body of the wrong length.
        case bad
    }

    /// How a whole response went.
    public enum Outcome: Equatable, Sendable {
        /// A greeting, n bytes, or an HTTP 2xx/3xx (with a body of n bytes, when the length is checked).
        case valid
        /// HTTP 4xx: the response is whole, and a failure of its own kind.
        case clientError
        /// HTTP 5xx.
        case serverError
    }

    /// How a connection ended, seen from the client, when the server closed its side.
    public enum Ending: Equatable, Sendable {
        /// Everything asked for arrived, and nothing else.
        case complete
        /// The stream ended before a response was whole (or before any greeting byte).
        case closedEarly
        /// Bytes arrived that the protocol does not allow.
        case badResponse
    }

    public let wireProtocol: WireProtocol
    public let pipelineDepth: Int
    /// HTTP: the requests to send, and whether a 2xx body must be exactly the n asked for.
    public let template: HTTPRequestTemplate?
    public let checksLength: Bool
    private var ring: [UInt32]
    private var head = 0
    /// Requests sent and not yet answered in full.
    public private(set) var outstanding = 0
    /// HTTP: a response said the server closes the connection after it; no more requests go out on it.
    public private(set) var serverCloses = false
    /// Bytes of the oldest outstanding response (or of the greeting) received so far.
    private var received = 0
    /// Request protocol: the oldest outstanding response's first byte was announced.
    private var announced = false
    private var bad = false
    private var parser = HTTPResponseParser()

    /// - Parameters:
    ///   - template: the HTTP requests (required for ``WireProtocol/http``).
    ///   - checksLength: HTTP: a 2xx body must be the size its request asked for (the harness's own paths).
    public init(
        protocol wireProtocol: WireProtocol, pipelineDepth: Int = 1, template: HTTPRequestTemplate? = nil,
        checksLength: Bool = true
    ) {
        precondition(pipelineDepth >= 1, "at least one request must be allowed in flight")
        precondition(wireProtocol != .http || template != nil, "HTTP requests need a template")
        self.wireProtocol = wireProtocol
        self.pipelineDepth = pipelineDepth
        self.template = template
        self.checksLength = checksLength
        ring = Array(repeating: 0, count: wireProtocol == .greeting ? 0 : pipelineDepth)
    }

    /// Called by the driver when a new connection starts on this session's storage; keeps the ring.
    public mutating func reset() {
        head = 0
        outstanding = 0
        received = 0
        announced = false
        bad = false
        serverCloses = false
        parser = HTTPResponseParser()
    }

    // MARK: Requests

    /// Whether another request may be sent now without exceeding the pipeline depth.
    public var canSend: Bool { wireProtocol != .greeting && outstanding < pipelineDepth && !serverCloses }

    /// Bytes of the longest request this session writes.
    public var requestCapacity: Int {
        switch wireProtocol {
        case .greeting: 0
        case .request: RequestHeader.length
        case .http: template!.capacity
        }
    }

    /// Writes the request for `size` bytes into `buffer` (at least ``requestCapacity``) and counts it as sent;
    /// `last`: the connection's last request (HTTP asks the server to close after it). Returns its length.
    public mutating func writeRequest(_ size: UInt32, last: Bool, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        precondition(canSend, "request sent beyond the pipeline depth")
        ring[(head + outstanding) % pipelineDepth] = size
        outstanding += 1
        switch wireProtocol {
        case .greeting:
            preconditionFailure("a greeting client sends nothing")
        case .request:
            RequestHeader.write(size, into: buffer)
            return RequestHeader.length
        case .http:
            return template!.write(size: size, last: last, into: buffer)
        }
    }

    // MARK: Responses

    /// Reads `bytes` from `start` until the end or the next event; returns how far it read and the event. The
    /// driver calls it again from `end` until the chunk is used up.
    public mutating func next(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (end: Int, event: Event?) {
        guard !bad else { return (bytes.count, nil) }
        switch wireProtocol {
        case .greeting: return nextGreeting(bytes, from: start)
        case .request: return nextCounted(bytes, from: start)
        case .http: return nextHTTP(bytes, from: start)
        }
    }

    /// Called by the driver when the server closes its side (read returned 0): a response framed by the end of the
    /// stream ends here (the event), and the verdict on the connection.
    public mutating func receiveEnd() -> (event: Event?, ending: Ending) {
        if bad { return (nil, .badResponse) }
        switch wireProtocol {
        case .greeting:
            return (nil, received == Greeting.frameLength ? .complete : .closedEarly)
        case .request:
            return (nil, outstanding == 0 ? .complete : .closedEarly)
        case .http:
            if let response = parser.receiveEnd() {
                let event = finish(response)
                return (event, bad ? .badResponse : outstanding == 0 ? .complete : .closedEarly)
            }
            return (nil, outstanding == 0 && parser.isIdle ? .complete : .closedEarly)
        }
    }

    private mutating func nextGreeting(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (end: Int, event: Event?) {
        var index = start
        while index < bytes.count {
            guard received < Greeting.frameLength else { return fail(bytes) }
            if let expected = Greeting.expectedByte(at: received), expected != bytes[index] { return fail(bytes) }
            received += 1
            index += 1
            if received == 1 { return (index, .firstByte) }
            if received == Greeting.frameLength { return (index, .response(.valid)) }
        }
        return (index, nil)
    }

    private mutating func nextCounted(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (end: Int, event: Event?) {
        guard start < bytes.count else { return (start, nil) }
        guard outstanding > 0 else { return fail(bytes) }
        if !announced {
            // Said before the byte is taken, so that a 1-byte response still ends within the same chunk.
            announced = true
            return (start, .firstByte)
        }
        let size = Int(ring[head])
        let take = min(bytes.count - start, size - received)
        received += take
        guard received == size else { return (start + take, nil) }
        received = 0
        announced = false
        head = (head + 1) % pipelineDepth
        outstanding -= 1
        return (start + take, .response(.valid))
    }

    private mutating func nextHTTP(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (end: Int, event: Event?) {
        guard start < bytes.count else { return (start, nil) }
        guard outstanding > 0 else { return fail(bytes) }
        let (end, event) = parser.parse(bytes, from: start)
        switch event {
        case nil: return (end, nil)
        case .firstByte: return (end, .firstByte)
        case .malformed: return fail(bytes)
        case .complete(let response): return (end, finish(response))
        }
    }

    /// Judges a whole HTTP response against the oldest outstanding request and retires that request.
    private mutating func finish(_ response: HTTPResponseParser.Response) -> Event {
        let size = Int(ring[head])
        head = (head + 1) % pipelineDepth
        outstanding -= 1
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

    private mutating func fail(_ bytes: UnsafeRawBufferPointer) -> (end: Int, event: Event?) {
        bad = true
        return (bytes.count, .bad)
    }
}
