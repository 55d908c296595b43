#if canImport(Glibc)
import Glibc
#endif

/// The client's side of one connection, sans I/O: the driver has it write each request and feeds it what it reads;
/// it says, event by event, when a response began, when one ended and how, and whether the server kept to the
/// protocol.
///
/// Response bytes of the request protocol and of `/bytes/N` are random, so checking them is counting them: a
/// response is whole when its n-th byte arrives, and a byte beyond what was asked for is a bad response. Greeting
/// frames are checked byte by byte as they arrive; HTTP responses are parsed as they stream by
/// (``HTTPResponseParser``); multiplex frames are matched to their request by id and counted. An echo is compared
/// with what was sent, which is a stretch of a ``RandomPool`` the driver sends from, so neither side keeps a copy.
/// Nothing is buffered. Up to `pipelineDepth` requests may be outstanding; their sizes sit in a fixed ring, in which
/// ``lastRequest`` and ``eventRequest`` say where a request and an event's request are (a multiplex id is its place).
public struct ClientSession: Sendable {
    /// What the bytes read so far brought, one event at a time.
    public enum Event: Equatable, Sendable {
        /// The first byte of the oldest outstanding response (or of the greeting).
        case firstByte
        /// The oldest outstanding response is whole.
        case response(Outcome)
        /// The server sent bytes the protocol does not allow, or a body of the wrong length.
        case bad
        /// Echo: a byte came back other than the one sent at its place.
        case mismatch
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
        /// Echo: a byte came back changed or out of order.
        case mismatch
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
    /// Where in the ring the request last written sits, and the request the last event concerns.
    public private(set) var lastRequest = 0
    public private(set) var eventRequest = 0
    /// Bytes of the oldest outstanding response (of the greeting, of the echo) received so far.
    private var received = 0
    /// Request protocol: the oldest outstanding response's first byte was announced.
    private var announced = false
    private var bad = false
    private var parser = HTTPResponseParser()
    // Multiplex: bytes received per request (-1: the place is free), the free places, and the frame being read.
    private var got: [Int]
    private var free: [Int]
    private var header: UInt64 = 0
    private var headerBytes = 0
    private var frameRequest = 0
    private var frameLeft = 0
    // Echo: what is sent (and must come back) is `echoSize` bytes of `content`, cyclically, from `echoOffset`.
    public let content: RandomPool?
    private var echoOffset = 0
    private var echoSize = 0

    /// - Parameters:
    ///   - template: the HTTP requests (required for ``WireProtocol/http``).
    ///   - checksLength: HTTP: a 2xx body must be the size its request asked for (the harness's own paths).
    ///   - content: echo: the bytes sent, and expected back (required for ``WireProtocol/echo``).
    public init(
        protocol wireProtocol: WireProtocol, pipelineDepth: Int = 1, template: HTTPRequestTemplate? = nil,
        checksLength: Bool = true, content: RandomPool? = nil
    ) {
        precondition(pipelineDepth >= 1, "at least one request must be allowed in flight")
        precondition(wireProtocol != .http || template != nil, "HTTP requests need a template")
        precondition(wireProtocol != .echo || content != nil, "an echo needs the content it sends")
        self.wireProtocol = wireProtocol
        self.pipelineDepth = pipelineDepth
        self.template = template
        self.checksLength = checksLength
        self.content = content
        ring = Array(repeating: 0, count: wireProtocol == .greeting ? 0 : pipelineDepth)
        let multiplex = wireProtocol == .multiplex
        got = Array(repeating: -1, count: multiplex ? pipelineDepth : 0)
        free = multiplex ? Array((0..<pipelineDepth).reversed()) : []
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
        lastRequest = 0
        eventRequest = 0
        guard wireProtocol == .multiplex else { return }
        header = 0
        headerBytes = 0
        frameLeft = 0
        free.removeAll(keepingCapacity: true)
        for place in (0..<pipelineDepth).reversed() {
            got[place] = -1
            free.append(place)
        }
    }

    // MARK: Requests

    /// Whether another request may be sent now without exceeding the pipeline depth.
    public var canSend: Bool {
        wireProtocol != .greeting && wireProtocol != .echo && outstanding < pipelineDepth && !serverCloses
    }

    /// Bytes of the longest request this session writes.
    public var requestCapacity: Int {
        switch wireProtocol {
        case .greeting: 0
        case .request: RequestHeader.length
        case .http: template!.capacity
        case .multiplex: MultiplexFrame.requestLength
        case .echo: 0
        }
    }

    /// Writes the request for `size` bytes into `buffer` (at least ``requestCapacity``) and counts it as sent;
    /// `last`: the connection's last request (HTTP asks the server to close after it). Returns its length.
    public mutating func writeRequest(_ size: UInt32, last: Bool, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        precondition(canSend, "request sent beyond the pipeline depth")
        lastRequest = wireProtocol == .multiplex ? free.removeLast() : (head + outstanding) % pipelineDepth
        ring[lastRequest] = size
        outstanding += 1
        switch wireProtocol {
        case .greeting, .echo:
            preconditionFailure("\(wireProtocol) clients send no requests")
        case .request:
            RequestHeader.write(size, into: buffer)
            return RequestHeader.length
        case .http:
            return template!.write(size: size, last: last, into: buffer)
        case .multiplex:
            got[lastRequest] = 0
            MultiplexFrame.write(UInt32(lastRequest), size, into: buffer)
            return MultiplexFrame.requestLength
        }
    }

    /// Echo: the connection's exchange is `size` bytes of ``content`` from `offset` on; counted as one request.
    public mutating func beginEcho(size: Int, offset: Int) {
        precondition(wireProtocol == .echo && outstanding == 0, "one echo per connection")
        echoOffset = offset % content!.bytes.count
        echoSize = size
        outstanding = 1
    }

    /// Echo: the content from `position` of the exchange on, at most `limit` bytes and up to the pool's end (the
    /// next call goes on from its start).
    public func echoBytes(at position: Int, limit: Int) -> UnsafeRawBufferPointer {
        let pool = content!.bytes
        let start = (echoOffset + position) % pool.count
        return UnsafeRawBufferPointer(rebasing: pool[start..<(start + min(limit, echoSize - position, pool.count - start))])
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
        case .multiplex: return nextFrames(bytes, from: start)
        case .echo: return nextEcho(bytes, from: start)
        }
    }

    /// Called by the driver when the server closes its side (read returned 0): a response framed by the end of the
    /// stream ends here (the event), and the verdict on the connection.
    public mutating func receiveEnd() -> (event: Event?, ending: Ending) {
        if bad { return (nil, wireProtocol == .echo ? .mismatch : .badResponse) }
        switch wireProtocol {
        case .echo:
            return (nil, outstanding == 0 ? .complete : .closedEarly)
        case .multiplex:
            return (nil, outstanding == 0 && headerBytes == 0 ? .complete : .closedEarly)
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
            eventRequest = head
            return (start, .firstByte)
        }
        let size = Int(ring[head])
        let take = min(bytes.count - start, size - received)
        received += take
        guard received == size else { return (start + take, nil) }
        received = 0
        announced = false
        eventRequest = head
        head = (head + 1) % pipelineDepth
        outstanding -= 1
        return (start + take, .response(.valid))
    }

    /// Frame heads are read byte by byte (they may be split anywhere); a frame's bytes are counted to its request.
    private mutating func nextFrames(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (end: Int, event: Event?) {
        var index = start
        while index < bytes.count {
            guard frameLeft == 0 else {
                let take = min(frameLeft, bytes.count - index)
                index += take
                frameLeft -= take
                got[frameRequest] += take
                guard got[frameRequest] == Int(ring[frameRequest]) else { continue }
                got[frameRequest] = -1
                free.append(frameRequest)
                outstanding -= 1
                eventRequest = frameRequest
                return (index, .response(.valid))
            }
            header = header << 8 | UInt64(bytes[index])
            headerBytes += 1
            index += 1
            guard headerBytes == MultiplexFrame.headerLength else { continue }
            let (id, length) = (Int(header >> 32), Int(header & 0xFFFF_FFFF))
            header = 0
            headerBytes = 0
            // A frame for no outstanding request, empty, over 16 KiB, or beyond what its request asked for.
            guard id < pipelineDepth, got[id] >= 0, (1...MultiplexFrame.maxPayload).contains(length),
                got[id] + length <= Int(ring[id])
            else { return fail(bytes) }
            frameRequest = id
            frameLeft = length
            if got[id] == 0 {
                eventRequest = id
                return (index, .firstByte)
            }
        }
        return (index, nil)
    }

    /// Compares what came back with what was sent at the same place; a byte beyond the end is a bad response.
    private mutating func nextEcho(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (end: Int, event: Event?) {
        guard start < bytes.count else { return (start, nil) }
        guard outstanding > 0 else { return fail(bytes) }
        if !announced {
            announced = true
            eventRequest = 0
            return (start, .firstByte)
        }
        let expected = echoBytes(at: received, limit: bytes.count - start)
        guard memcmp(bytes.baseAddress! + start, expected.baseAddress!, expected.count) == 0 else {
            bad = true
            return (bytes.count, .mismatch)
        }
        received += expected.count
        guard received == echoSize else { return (start + expected.count, nil) }
        outstanding = 0
        return (start + expected.count, .response(.valid))
    }

    private mutating func nextHTTP(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (end: Int, event: Event?) {
        guard start < bytes.count else { return (start, nil) }
        guard outstanding > 0 else { return fail(bytes) }
        let (end, event) = parser.parse(bytes, from: start)
        switch event {
        case nil: return (end, nil)
        case .firstByte:
            eventRequest = head
            return (end, .firstByte)
        case .malformed: return fail(bytes)
        case .complete(let response): return (end, finish(response))
        }
    }

    /// Judges a whole HTTP response against the oldest outstanding request and retires that request.
    private mutating func finish(_ response: HTTPResponseParser.Response) -> Event {
        let size = Int(ring[head])
        eventRequest = head
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
