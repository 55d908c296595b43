/// The head of one response of the harness's HTTP server, and its rendering: status line, Server, Date,
/// Content-Type, Content-Length, Connection when it must be said, Allow for a 405, and the empty line.
struct HTTPResponseHead: Equatable {
    enum Body: Equatable {
        /// N random bytes from the pool (`/bytes/N`).
        case random(Int)
        /// The 81-byte greeting frame (`/`).
        case greeting
        /// The status's reason and a newline, as text (errors).
        case reason
    }

    var status: HTTPStatus
    var body: Body
    /// HEAD: the head says what GET would send, and no body follows.
    var omitsBody: Bool
    /// `Connection: close` is sent, and the connection closes after this response.
    var closes: Bool
    /// `Connection: keep-alive` is sent: an HTTP/1.0 client asked for it, and its answer must say so.
    var saysKeepAlive: Bool

    /// The status and body that answer `method` on `target`, in HTTP/1.1 and HTTP/2 alike: the harness's routes.
    static func route(
        _ method: HTTPRequestHead.Method, _ target: HTTPRequestHead.Target, maxRequestBytes: UInt32
    ) -> (status: HTTPStatus, body: Body) {
        switch (method, target) {
        case (.other, _): (.methodNotAllowed, .reason)
        case (_, .other): (.notFound, .reason)
        case (_, .badCount): (.badRequest, .reason)
        case (_, .root): (.ok, .greeting)
        case (_, .bytes(let n)): n > UInt64(maxRequestBytes) ? (.contentTooLarge, .reason) : (.ok, .random(Int(n)))
        }
    }

    /// The longest head: the longest status line and every field at its longest.
    static let capacity = 320

    /// Bytes of body that follow the head.
    var bodyLength: Int {
        switch body {
        case .random(let count): count
        case .greeting: Greeting.frameLength
        case .reason: status.reason.utf8.count + 1
        }
    }

    /// Bytes the body takes on the wire (none for HEAD).
    var sentBodyLength: Int { omitsBody ? 0 : bodyLength }

    private static let version = Array("HTTP/1.1 ".utf8)
    private static let server = Array("\r\nServer: bench\r\nDate: ".utf8)
    private static let octets = Array("\r\nContent-Type: application/octet-stream\r\nContent-Length: ".utf8)
    private static let text = Array("\r\nContent-Type: text/plain\r\nContent-Length: ".utf8)
    private static let close = Array("\r\nConnection: close".utf8)
    private static let keepAlive = Array("\r\nConnection: keep-alive".utf8)
    private static let allow = Array("\r\nAllow: GET, HEAD".utf8)
    private static let end = Array("\r\n\r\n".utf8)
    private static let statusLines: [Int: [UInt8]] = Dictionary(
        uniqueKeysWithValues: HTTPStatus.allCases.map { ($0.rawValue, Array("\($0.rawValue) \($0.reason)".utf8)) })
    /// The error bodies, made once: the reason and a newline.
    private static let reasons: [Int: [UInt8]] = Dictionary(
        uniqueKeysWithValues: HTTPStatus.allCases.map { ($0.rawValue, Array("\($0.reason)\n".utf8)) })

    /// Writes the head into `buffer` from `offset` (at least ``capacity`` bytes must be free) and returns where it
    /// ends.
    func write(into buffer: UnsafeMutableRawBufferPointer, at offset: Int, date: [UInt8]) -> Int {
        var position = HTTPBytes.put(Self.version, into: buffer, at: offset)
        position = HTTPBytes.put(Self.statusLines[status.rawValue]!, into: buffer, at: position)
        position = HTTPBytes.put(Self.server, into: buffer, at: position)
        position = HTTPBytes.put(date, into: buffer, at: position)
        if case .random = body {
            position = HTTPBytes.put(Self.octets, into: buffer, at: position)
        } else {
            position = HTTPBytes.put(Self.text, into: buffer, at: position)
        }
        position = Self.writeDecimal(bodyLength, into: buffer, at: position)
        if closes {
            position = HTTPBytes.put(Self.close, into: buffer, at: position)
        } else if saysKeepAlive {
            position = HTTPBytes.put(Self.keepAlive, into: buffer, at: position)
        }
        if status == .methodNotAllowed { position = HTTPBytes.put(Self.allow, into: buffer, at: position) }
        return HTTPBytes.put(Self.end, into: buffer, at: position)
    }

    /// Writes the body of ``Body/reason`` into `buffer` from `offset`; returns where it ends.
    func writeReason(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        HTTPBytes.put(Self.reasons[status.rawValue]!, into: buffer, at: offset)
    }

    /// `value` in decimal digits at `offset`; returns where they end.
    static func writeDecimal(_ value: Int, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        var remaining = value
        for index in stride(from: offset + digits - 1, through: offset, by: -1) {
            buffer[index] = UInt8(ascii: "0") + UInt8(remaining % 10)
            remaining /= 10
        }
        return offset + digits
    }
}
