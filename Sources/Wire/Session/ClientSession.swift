/// The client's side of one connection, sans I/O: the driver has it write each request and feeds it what it reads; it
/// says, event by event, when a response began, when one ended and how, and whether the server kept to the protocol.
///
/// Nothing is buffered: random response bytes are checked by counting them, frames and HTTP responses are parsed as
/// they stream by, an echo is compared with the stretch of content it was sent from. Up to
/// ``ClientSessionSettings/pipelineDepth`` requests may be outstanding; ``lastRequest`` and ``eventRequest`` say
/// where a request and an event's request sit among them (the driver keeps its timings at those places).
///
/// The driver keeps one session per simulated client and calls ``reset()`` for each new connection; a session
/// belongs to the driver thread that owns the client.
public protocol ClientSession: AnyObject {
    /// Called by the driver when a new connection starts on this session.
    func reset()

    /// Requests sent and not yet answered in full.
    var outstanding: Int { get }

    /// Whether another request may be sent now without exceeding the pipeline depth.
    var canSend: Bool { get }

    /// The server said it closes the connection after its answer: no more requests go out on it.
    var serverCloses: Bool { get }

    /// Bytes of the longest request this session writes.
    var requestCapacity: Int { get }

    /// Where the request last written sits, and the request the last event concerns (0 ..< pipeline depth).
    var lastRequest: Int { get }
    var eventRequest: Int { get }

    /// Writes the request for `size` bytes into `buffer` (at least ``requestCapacity``) and counts it as sent;
    /// `last`: the connection's last request. Returns its length. Called only while ``canSend``.
    func writeRequest(_ size: UInt32, last: Bool, into buffer: UnsafeMutableRawBufferPointer) -> Int

    /// A protocol that ``ProtocolTraits/streamsExchange``: the connection's exchange is `size` bytes of the content
    /// from `offset` on, counted as one request.
    func beginExchange(size: Int, offset: Int)

    /// A protocol that streams its exchange: the content from `position` of the exchange on, at most `limit` bytes
    /// (fewer at the content's end; the next call goes on from its start).
    func exchangeBytes(at position: Int, limit: Int) -> UnsafeRawBufferPointer

    /// Reads `bytes` from `start` until the end or the next event; returns how far it read and the event. The driver
    /// calls it again from `end` until the chunk is used up.
    func next(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (end: Int, event: ClientEvent?)

    /// Called by the driver when the server closes its side (read returned 0): a response framed by the end of the
    /// stream ends here (the event), and the verdict on the connection.
    func receiveEnd() -> (event: ClientEvent?, ending: ConnectionEnding)
}

extension ClientSession {
    public var serverCloses: Bool { false }
    public var lastRequest: Int { 0 }
    public var eventRequest: Int { 0 }

    public func writeRequest(_ size: UInt32, last: Bool, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        preconditionFailure("\(Self.self) sends no requests")
    }

    public func beginExchange(size: Int, offset: Int) {
        preconditionFailure("\(Self.self) streams no exchange")
    }

    public func exchangeBytes(at position: Int, limit: Int) -> UnsafeRawBufferPointer {
        preconditionFailure("\(Self.self) streams no exchange")
    }
}

/// What the bytes read so far brought, one event at a time.
public enum ClientEvent: Equatable, Sendable {
    /// The first byte of the oldest outstanding response (or of the greeting).
    case firstByte
    /// A response is whole (``ClientSession/eventRequest`` says which).
    case response(ResponseOutcome)
    /// The server sent bytes the protocol does not allow, or a body of the wrong length.
    case bad
    /// Echo: a byte came back other than the one sent at its place.
    case mismatch
}

/// How a whole response went.
public enum ResponseOutcome: Equatable, Sendable {
    /// A greeting, n bytes, or an HTTP 2xx/3xx (with a body of n bytes, when the length is checked).
    case valid
    /// HTTP 4xx: the response is whole, and a failure of its own kind.
    case clientError
    /// HTTP 5xx.
    case serverError
    /// HTTP/2: the server reset the stream (RST_STREAM, or a GOAWAY that left it unprocessed) with this error code.
    case reset(UInt32)
}

/// How a connection ended, seen from the client, when the server closed its side.
public enum ConnectionEnding: Equatable, Sendable {
    /// Everything asked for arrived, and nothing else.
    case complete
    /// The stream ended before a response was whole (or before any greeting byte).
    case closedEarly
    /// Bytes arrived that the protocol does not allow.
    case badResponse
    /// Echo: a byte came back changed or out of order.
    case mismatch
    /// HTTP/2: the server said GOAWAY with an error code.
    case goaway
}

/// What every client session of a run shares.
public struct ClientSessionSettings: Sendable {
    /// Requests in flight at most.
    public var pipelineDepth: Int
    /// HTTP: the requests to send.
    public var template: HTTPRequestTemplate?
    /// HTTP: a 2xx body must be exactly the n asked for (the harness's own paths).
    public var checksLength: Bool
    /// Echo: the bytes sent, and expected back.
    public var content: RandomPool?

    public init(
        pipelineDepth: Int = 1, template: HTTPRequestTemplate? = nil, checksLength: Bool = true,
        content: RandomPool? = nil
    ) {
        precondition(pipelineDepth >= 1, "at least one request must be allowed in flight")
        self.pipelineDepth = pipelineDepth
        self.template = template
        self.checksLength = checksLength
        self.content = content
    }
}
