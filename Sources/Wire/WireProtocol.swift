/// What a protocol is, for the models, the driver, the options and the tests, so that nothing outside a protocol's own
/// files switches on its name.
public struct ProtocolTraits: Sendable {
    /// How a run's exchanges are counted: one per connection (the rate paces connections), or one per request.
    public enum Exchange: Sendable {
        /// The connection is the exchange: a greeting frame, an echo.
        case connection
        /// Any number of requests per connection, each an exchange.
        case request
    }

    /// One line for `--help` and docs/PROTOCOL.md's list.
    public var summary: String
    /// The client says something: false when the server speaks first and alone (its answer then needs neither
    /// TCP_NODELAY nor a read timeout, and the driver times it from connect() to the end of the stream).
    public var clientSends: Bool
    public var exchange: Exchange
    /// Its answers are cut from the server's pool of random bytes.
    public var answersFromPool: Bool
    /// Every model closes an idle client, a request not whole within the read timeout of its first byte, and owed
    /// output that makes no progress (HTTP's deadlines, ``ServerSession/isMidRequest``).
    public var timesIdleClients: Bool
    /// The unsent bytes a connection's socket may hold (TCP_NOTSENT_LOWAT), for a protocol that renders answers
    /// ahead and interleaves them; nil for those that answer in order.
    public var unsentLimit: Int?
    /// The client ends its requests with a half-close (shutdown write); false where its last request asks the
    /// server to close instead (HTTP's `Connection: close`).
    public var halfClosesAfterLastRequest: Bool
    /// A server may close a connection between answers without it being a failure (an HTTP keep-alive limit).
    public var serverMayCloseWhenIdle: Bool
    /// The client closes the connection itself once its last request is answered, as h2load does: an HTTP/2 server
    /// keeps a connection the client no longer uses until its idle timeout (nginx does even after the client's GOAWAY).
    public var closesWhenAnswered: Bool
    /// The client streams one exchange of `--size` bytes while it reads (echo), rather than writing requests.
    public var streamsExchange: Bool
    /// Requests name a path and carry header fields (`--path`, `--header`, URL targets).
    public var requestsByPath: Bool
    /// Requests in flight are streams of one connection, answered in any order (HTTP/2): `--streams` counts them, as
    /// h2load's `-m` does.
    public var multiplexesStreams: Bool
    /// The largest `--size` a client may ask for.
    public var largestSize: UInt32
    /// The name TLS's ALPN agrees on for it (`http/1.1`), nil where no registered name exists.
    public var alpn: String?

    public init(
        summary: String, clientSends: Bool = true, exchange: Exchange = .request, answersFromPool: Bool = true,
        timesIdleClients: Bool = false, unsentLimit: Int? = nil, halfClosesAfterLastRequest: Bool = true,
        serverMayCloseWhenIdle: Bool = false, closesWhenAnswered: Bool = false, streamsExchange: Bool = false,
        requestsByPath: Bool = false, multiplexesStreams: Bool = false, largestSize: UInt32 = WireDefaults.maxRequestBytes, alpn: String? = nil
    ) {
        self.summary = summary
        self.clientSends = clientSends
        self.exchange = exchange
        self.answersFromPool = answersFromPool
        self.timesIdleClients = timesIdleClients
        self.unsentLimit = unsentLimit
        self.halfClosesAfterLastRequest = halfClosesAfterLastRequest
        self.serverMayCloseWhenIdle = serverMayCloseWhenIdle
        self.closesWhenAnswered = closesWhenAnswered
        self.streamsExchange = streamsExchange
        self.requestsByPath = requestsByPath
        self.multiplexesStreams = multiplexesStreams
        self.largestSize = largestSize
        self.alpn = alpn
    }
}

/// A protocol as a type: its files (a server session, a client session, its framing) and one line in
/// ``WireProtocol/allCases``. docs/PROTOCOL.md defines each of them.
public protocol WireProtocolType: Sendable {
    /// The name `--protocol` and the result files use.
    static var name: String { get }
    static var traits: ProtocolTraits { get }
    /// The server's side of one connection; models keep one per connection slot and ``ServerSession/reset()`` it.
    static func makeServerSession(_ settings: ServerSessionSettings) -> any ServerSession
    /// The client's side of one connection; the driver keeps one per simulated client.
    static func makeClientSession(_ settings: ClientSessionSettings) -> any ClientSession
}

/// The conversations every server speaks and the driver checks: the registry, from which `--protocol`, the help,
/// the models, the driver and the tests take them.
public struct WireProtocol: Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Every protocol, in the order they are listed. Adding a protocol is its files and a line here.
    public static let allCases: [WireProtocol] = [.greeting, .request, .http, .echo, .multiplex, .h2]

    private let type: any WireProtocolType.Type

    init(_ type: any WireProtocolType.Type) {
        self.type = type
    }

    /// The protocol of that name, or nil.
    public init?(rawValue: String) {
        guard let found = Self.allCases.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = found
    }

    public var rawValue: String { type.name }
    public var description: String { rawValue }
    public var traits: ProtocolTraits { type.traits }

    public func makeServerSession(_ settings: ServerSessionSettings) -> any ServerSession {
        type.makeServerSession(settings)
    }

    public func makeClientSession(_ settings: ClientSessionSettings) -> any ClientSession {
        type.makeClientSession(settings)
    }

    /// Every name, as `--help` lists them: `greeting, request, http, echo, multiplex or h2`.
    public static var names: String {
        let names = allCases.map(\.rawValue)
        return names.dropLast().joined(separator: ", ") + " or " + names.last!
    }

    public static func == (lhs: WireProtocol, rhs: WireProtocol) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
}

extension WireProtocol: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let found = WireProtocol(rawValue: name) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "no protocol is named \(name)")
        }
        self = found
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Defaults shared by servers and the driver, so `bench serve` and `bench drive` meet without options.
public enum WireDefaults {
    public static let port = 5050
    public static let host = "127.0.0.1"
    /// Largest request a server answers unless told otherwise: 1 MiB.
    public static let maxRequestBytes: UInt32 = 1 << 20
    /// HTTP/2 streams a client may have open at once: 100, as RFC 9113 §6.5.2 advises at the least and nginx sets.
    public static let maxStreams: UInt32 = 100
}
