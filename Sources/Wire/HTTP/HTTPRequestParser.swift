/// A request head, reduced to what the harness's HTTP server acts on.
public struct HTTPRequestHead: Equatable, Sendable {
    public enum Method: Equatable, Sendable {
        case get, head
        /// Any other token: answered 405.
        case other
    }

    public enum Target: Equatable, Sendable {
        /// `/`: the greeting as the body.
        case root
        /// `/bytes/N`: N random bytes (httpbin's convention).
        case bytes(UInt64)
        /// `/bytes/` followed by something other than a number: answered 400.
        case badCount
        /// Any other path: answered 404.
        case other
    }

    public var method: Method
    public var target: Target
    /// HTTP/1.0, which closes after each response unless the client asks to keep the connection alive.
    public var isHTTP10: Bool
    /// Whether the connection stays open after the response (RFC 9112 §9.3).
    public var keepAlive: Bool
    /// Bytes of request body that follow the head (Content-Length), read and discarded.
    public var bodyLength: UInt64
    /// The work its query asks for (`?cpu=50us&wait=2ms`); none when it asks for none.
    public var work = RequestWork.none
}

/// Reads HTTP/1.1 requests one byte at a time, keeping no bytes (the request line is matched as it streams by, the
/// fields by ``HTTPFieldScanner``), and discards request bodies by their Content-Length. Pipelined requests are read
/// one after the other; after a request it cannot answer in a way that keeps the connection, it reads no more.
struct HTTPRequestParser {
    /// What a stretch of input held.
    enum Event: Equatable {
        case head(HTTPRequestHead)
        /// A request answered with this status and a close: 400 (malformed, or HTTP/1.1 without Host), 414 (request
        /// line over the limit), 431 (fields over the limit), 501 (Transfer-Encoding), 505 (not HTTP/1).
        case error(HTTPStatus)
    }

    /// Longest request line, and longest field section, each: 8 KiB, as nginx's large_client_header_buffers.
    static let lineLimit = 8192
    static let fieldsLimit = 8192

    private enum State: UInt8 {
        case idle, method, targetStart, absoluteScheme, authority, path, count, query, version, lineFeed, fields, body
        case failed
    }

    private static let get = Array("GET".utf8)
    private static let head = Array("HEAD".utf8)
    private static let bytesPrefix = Array("/bytes/".utf8)
    private static let versionPrefix = Array("HTTP/".utf8)
    private static let schemes = [Array("http://".utf8), Array("https://".utf8)]

    private var state = State.idle
    private var lineLength = 0
    private var fields = HTTPFieldScanner()
    /// Request line progress: the method (candidates bit 0 GET, bit 1 HEAD), the path against `/bytes/`, the count.
    private var methodCandidates: UInt8 = 0
    private var methodLength = 0
    private var pathMatched = 0
    private var pathIsPrefix = true
    private var count: UInt64 = 0
    private var countOverflow = false
    private var sawCountDigit = false
    /// The count had a byte other than a digit (`/bytes/12x`): answered 400 once the path ends.
    private var countIsNotANumber = false
    private var schemeLength = 0
    private var schemeCandidates: UInt8 = 0
    private var versionPosition = 0
    private var major: UInt8 = 0
    private var minor: UInt8 = 0
    private var target = HTTPRequestHead.Target.other
    private var queryWork = HTTPQueryWork()
    private var method = HTTPRequestHead.Method.other
    /// Body bytes still to discard.
    private var bodyLeft: UInt64 = 0
    /// A request has begun (its first byte, an empty line before it included) and is not whole yet.
    private var begun = false
    /// Requests begun on this connection, so that a model can tell a new request from the one it was timing.
    private(set) var requestsBegun = 0

    init() {}

    /// Whether a request has begun and is not whole, head and body: the time a client takes here is what a slowloris
    /// stretches (the server's request deadline). Empty lines before a request line count, so that a client cannot
    /// hold a connection with them.
    var isMidRequest: Bool { begun && state != .failed }

    /// Whether the parser has stopped for good after an error.
    var hasFailed: Bool { state == .failed }

    /// Reads `bytes` from `start` until the end, or until one request head (or error) is complete; returns how far it
    /// read and what it found. Body bytes are discarded on the way to the next head.
    mutating func parse(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (end: Int, event: Event?) {
        var index = start
        while index < bytes.count {
            if state == .failed { return (bytes.count, nil) }
            if state == .body {
                let take = Int(min(bodyLeft, UInt64(bytes.count - index)))
                bodyLeft -= UInt64(take)
                index += take
                if bodyLeft == 0 {
                    state = .idle
                    begun = false
                }
                continue
            }
            let byte = bytes[index]
            index += 1
            if let event = feed(byte) { return (index, event) }
        }
        return (index, nil)
    }

    // MARK: The request line

    private mutating func feed(_ byte: UInt8) -> Event? {
        if state == .fields { return fieldByte(byte) }
        lineLength += 1
        guard lineLength <= Self.lineLimit else { return fail(.uriTooLong) }
        if !begun {
            begun = true
            requestsBegun += 1
        }
        switch state {
        case .idle:
            // Empty lines before a request line are ignored (RFC 9112 §2.2), as after a body with a stray CRLF.
            if byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") {
                lineLength = 0
                return nil
            }
            beginRequest()
            return methodByte(byte)
        case .method:
            return methodByte(byte)
        case .targetStart:
            if byte == UInt8(ascii: "/") {
                state = .path
                return pathByte(byte)
            }
            if byte == UInt8(ascii: "*") {  // OPTIONS *, or a typo: nothing here
                state = .query
                return nil
            }
            state = .absoluteScheme
            schemeCandidates = 0b11
            schemeLength = 0
            return schemeByte(byte)
        case .absoluteScheme:
            return schemeByte(byte)
        case .authority:
            if byte == UInt8(ascii: "/") {
                state = .path
                return pathByte(byte)
            }
            if byte == UInt8(ascii: " ") {  // http://host with no path: the root
                target = .root
                state = .version
                versionPosition = 0
                return nil
            }
            return HTTPBytes.isTargetCharacter(byte) ? nil : fail(.badRequest)
        case .path:
            return pathByte(byte)
        case .count:
            return countByte(byte)
        case .query:
            if byte == UInt8(ascii: " ") {
                queryWork.end()
                state = .version
                versionPosition = 0
                return nil
            }
            guard HTTPBytes.isTargetCharacter(byte) else { return fail(.badRequest) }
            queryWork.feed(byte)
            return nil
        case .version:
            return versionByte(byte)
        case .lineFeed:
            guard byte == UInt8(ascii: "\n") else { return fail(.badRequest) }
            state = .fields
            fields.reset()
            return nil
        case .fields, .body, .failed:
            return nil
        }
    }

    private mutating func beginRequest() {
        state = .method
        methodCandidates = 0b11
        methodLength = 0
        pathMatched = 0
        pathIsPrefix = true
        count = 0
        countOverflow = false
        sawCountDigit = false
        countIsNotANumber = false
        target = .other
        queryWork.reset()
    }

    private mutating func methodByte(_ byte: UInt8) -> Event? {
        if byte == UInt8(ascii: " ") {
            guard methodLength > 0 else { return fail(.badRequest) }
            if methodCandidates & 1 != 0 && methodLength == Self.get.count {
                method = .get
            } else if methodCandidates & 2 != 0 && methodLength == Self.head.count {
                method = .head
            } else {
                method = .other
            }
            state = .targetStart
            return nil
        }
        guard HTTPBytes.isTokenCharacter(byte) else { return fail(.badRequest) }
        // Methods are case-sensitive (RFC 9110 §9.1): `get` is another method.
        if methodLength >= Self.get.count || Self.get[methodLength] != byte { methodCandidates &= ~1 }
        if methodLength >= Self.head.count || Self.head[methodLength] != byte { methodCandidates &= ~2 }
        methodLength += 1
        return nil
    }

    private mutating func schemeByte(_ byte: UInt8) -> Event? {
        let lower = HTTPBytes.lowercased(byte)
        for index in Self.schemes.indices where schemeCandidates & (1 << index) != 0 {
            let scheme = Self.schemes[index]
            if schemeLength >= scheme.count || scheme[schemeLength] != lower { schemeCandidates &= ~(1 << index) }
        }
        schemeLength += 1
        guard schemeCandidates != 0 else { return fail(.badRequest) }
        for index in Self.schemes.indices
        where schemeCandidates & (1 << index) != 0 && Self.schemes[index].count == schemeLength {
            state = .authority
        }
        return nil
    }

    private mutating func pathByte(_ byte: UInt8) -> Event? {
        if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "?") {
            target = pathMatched == 1 && pathIsPrefix ? .root : .other
            state = byte == UInt8(ascii: " ") ? .version : .query
            versionPosition = 0
            return nil
        }
        guard HTTPBytes.isTargetCharacter(byte) else { return fail(.badRequest) }
        if pathIsPrefix && pathMatched < Self.bytesPrefix.count && Self.bytesPrefix[pathMatched] == byte {
            pathMatched += 1
            if pathMatched == Self.bytesPrefix.count { state = .count }
        } else {
            pathIsPrefix = false
        }
        return nil
    }

    private mutating func countByte(_ byte: UInt8) -> Event? {
        if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "?") {
            target = !sawCountDigit || countIsNotANumber ? .badCount : countOverflow ? .bytes(.max) : .bytes(count)
            state = byte == UInt8(ascii: " ") ? .version : .query
            versionPosition = 0
            return nil
        }
        guard HTTPBytes.isTargetCharacter(byte) else { return fail(.badRequest) }
        guard let digit = HTTPBytes.decimalDigit(byte) else {
            // `/bytes/12x` or `/bytes/abc`: a count that is not a number, answered 400. The rest is still path (a
            // query begins only at `?`).
            countIsNotANumber = true
            return nil
        }
        sawCountDigit = true
        let (times10, overflow1) = count.multipliedReportingOverflow(by: 10)
        let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit))
        if overflow1 || overflow2 { countOverflow = true } else { count = sum }
        return nil
    }

    private mutating func versionByte(_ byte: UInt8) -> Event? {
        if versionPosition < Self.versionPrefix.count {
            guard byte == Self.versionPrefix[versionPosition] else { return fail(.badRequest) }
            versionPosition += 1
            return nil
        }
        switch versionPosition - Self.versionPrefix.count {
        case 0:
            guard let digit = HTTPBytes.decimalDigit(byte) else { return fail(.badRequest) }
            major = digit
        case 1:
            guard byte == UInt8(ascii: ".") else { return fail(.badRequest) }
        case 2:
            guard let digit = HTTPBytes.decimalDigit(byte) else { return fail(.badRequest) }
            minor = digit
        default:
            if byte == UInt8(ascii: "\r") {
                state = .lineFeed
                return nil
            }
            guard byte == UInt8(ascii: "\n") else { return fail(.badRequest) }
            state = .fields
            fields.reset()
            return nil
        }
        versionPosition += 1
        return nil
    }

    // MARK: The fields

    private mutating func fieldByte(_ byte: UInt8) -> Event? {
        let step = fields.feed(byte)
        guard fields.count <= Self.fieldsLimit else { return fail(.headersTooLarge) }
        switch step {
        case .more: return nil
        case .malformed: return fail(.badRequest)
        case .end: return headComplete()
        }
    }

    private mutating func headComplete() -> Event {
        guard major == 1 else { return fail(.versionNotSupported) }
        // The server reads bodies by length only; a chunked or otherwise coded body it cannot frame (RFC 9112 §6.1).
        guard !fields.hasTransferEncoding else { return fail(.notImplemented) }
        let isHTTP10 = minor == 0
        // A client of HTTP/1.1 must send Host (RFC 9112 §3.2).
        guard isHTTP10 || fields.hasHost else { return fail(.badRequest) }
        guard !queryWork.isMalformed else { return fail(.badRequest) }
        let keepAlive = isHTTP10 ? fields.wantsKeepAlive && !fields.wantsClose : !fields.wantsClose
        let head = HTTPRequestHead(
            method: method, target: target, isHTTP10: isHTTP10, keepAlive: keepAlive,
            bodyLength: fields.contentLength ?? 0, work: queryWork.work)
        bodyLeft = head.bodyLength
        state = bodyLeft > 0 ? .body : .idle
        begun = bodyLeft > 0
        lineLength = 0
        return .head(head)
    }

    private mutating func fail(_ status: HTTPStatus) -> Event {
        state = .failed
        return .error(status)
    }
}
