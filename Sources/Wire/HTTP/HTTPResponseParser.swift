/// Reads HTTP/1.1 responses one byte at a time, keeping no bytes, for the driver: the status line, the fields
/// (``HTTPFieldScanner``) and the body, framed by Content-Length, by chunked coding, or by the end of the stream
/// (RFC 9112 §6.3). Bodies are counted, not kept: the harness's servers send random bytes, so their length is what
/// there is to check.
struct HTTPResponseParser {
    /// A whole response.
    struct Response: Equatable {
        var status: Int
        var bodyLength: Int
        /// The server closes the connection after this response (Connection: close, HTTP/1.0 without keep-alive,
        /// or a body that ends with the stream).
        var closes: Bool
    }

    enum Event: Equatable {
        /// The first byte of a response arrived.
        case firstByte
        case complete(Response)
        /// Not HTTP/1.x, a broken chunk, or a field section RFC 9112 rejects.
        case malformed
    }

    /// The longest status line and field section the driver reads before it calls a response bad: far above any
    /// real server's, and a deadline besides.
    static let headLimit = 65_536

    private enum State: UInt8 {
        case idle, version, code, reason, lineFeed, fields, body, untilClose
        case chunkSize, chunkExtension, chunkSizeFeed, chunkData, chunkDataReturn, chunkDataFeed, trailers
        case failed

        /// The status line, where the head limit counts bytes (the fields count their own).
        var isStatusLine: Bool { self == .version || self == .code || self == .reason || self == .lineFeed }
    }

    private static let versionPrefix = Array("HTTP/".utf8)

    private var state = State.idle
    private var position = 0
    private var headBytes = 0
    private var isHTTP10 = false
    private var status = 0
    private var fields = HTTPFieldScanner()
    private var bodyLeft: UInt64 = 0
    private var bodyLength = 0
    /// Whether the head said the connection closes after this response; kept apart because trailers reuse `fields`.
    private var closes = false
    private var chunkSize: UInt64 = 0
    private var sawChunkDigit = false

    init() {}

    /// No byte of a next response has arrived.
    var isIdle: Bool { state == .idle }

    /// Reads `bytes` from `start` until the end or the next event; returns how far it read and the event.
    mutating func parse(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (end: Int, event: Event?) {
        var index = start
        while index < bytes.count {
            switch state {
            case .failed:
                return (bytes.count, nil)
            case .body:
                let take = Int(min(bodyLeft, UInt64(bytes.count - index)))
                bodyLeft -= UInt64(take)
                bodyLength += take
                index += take
                if bodyLeft == 0 { return (index, complete()) }
            case .untilClose:
                bodyLength += bytes.count - index
                return (bytes.count, nil)
            case .chunkData:
                let take = Int(min(chunkSize, UInt64(bytes.count - index)))
                chunkSize -= UInt64(take)
                bodyLength += take
                index += take
                if chunkSize == 0 { state = .chunkDataReturn }
            default:
                let byte = bytes[index]
                index += 1
                if let event = feed(byte) { return (index, event) }
            }
        }
        return (index, nil)
    }

    /// The stream ended: a body framed by the end completes here; anything else in progress is cut short (nil).
    mutating func receiveEnd() -> Response? {
        guard state == .untilClose else { return nil }
        state = .failed
        return Response(status: status, bodyLength: bodyLength, closes: true)
    }

    // MARK: The head

    private mutating func feed(_ byte: UInt8) -> Event? {
        if state.isStatusLine {
            headBytes += 1
            guard headBytes <= Self.headLimit else { return fail() }
        }
        switch state {
        case .idle:
            state = .version
            position = 0
            headBytes = 1
            status = 0
            bodyLength = 0
            _ = versionByte(byte)
            return state == .failed ? .malformed : .firstByte
        case .version:
            return versionByte(byte)
        case .code:
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") {
                guard position == 3 else { return fail() }
                state = byte == UInt8(ascii: " ") ? .reason : byte == UInt8(ascii: "\r") ? .lineFeed : .fields
                if state == .fields { fields.reset() }
                return nil
            }
            guard let digit = HTTPBytes.decimalDigit(byte), position < 3 else { return fail() }
            status = status * 10 + Int(digit)
            position += 1
            return nil
        case .reason:
            if byte == UInt8(ascii: "\r") {
                state = .lineFeed
            } else if byte == UInt8(ascii: "\n") {
                state = .fields
                fields.reset()
            } else if !HTTPBytes.isFieldValueCharacter(byte) {
                return fail()
            }
            return nil
        case .lineFeed:
            guard byte == UInt8(ascii: "\n") else { return fail() }
            state = .fields
            fields.reset()
            return nil
        case .fields:
            switch fields.feed(byte) {
            case .more: return fields.count > Self.headLimit ? fail() : nil
            case .malformed: return fail()
            case .end: return headComplete()
            }
        case .chunkSize:
            if let digit = HTTPBytes.hexDigit(byte) {
                guard chunkSize >> 60 == 0 else { return fail() }
                chunkSize = chunkSize << 4 | UInt64(digit)
                sawChunkDigit = true
                return nil
            }
            guard sawChunkDigit else { return fail() }
            if byte == UInt8(ascii: ";") || byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                state = .chunkExtension
                return nil
            }
            return chunkSizeEnd(byte)
        case .chunkExtension:
            return byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") ? chunkSizeEnd(byte) : nil
        case .chunkSizeFeed:
            guard byte == UInt8(ascii: "\n") else { return fail() }
            return chunkSizeDone()
        case .chunkDataReturn:
            if byte == UInt8(ascii: "\n") {
                beginChunk()
                return nil
            }
            guard byte == UInt8(ascii: "\r") else { return fail() }
            state = .chunkDataFeed
            return nil
        case .chunkDataFeed:
            guard byte == UInt8(ascii: "\n") else { return fail() }
            beginChunk()
            return nil
        case .trailers:
            switch fields.feed(byte) {
            case .more: return fields.count > Self.headLimit ? fail() : nil
            case .malformed: return fail()
            case .end: return complete()
            }
        case .body, .untilClose, .chunkData, .failed:
            return nil
        }
    }

    private mutating func versionByte(_ byte: UInt8) -> Event? {
        if position < Self.versionPrefix.count {
            guard byte == Self.versionPrefix[position] else { return fail() }
        } else {
            switch position - Self.versionPrefix.count {
            case 0: guard byte == UInt8(ascii: "1") else { return fail() }
            case 1: guard byte == UInt8(ascii: ".") else { return fail() }
            case 2:
                guard let digit = HTTPBytes.decimalDigit(byte) else { return fail() }
                isHTTP10 = digit == 0
            default:
                guard byte == UInt8(ascii: " ") else { return fail() }
                state = .code
                position = 0
                return nil
            }
        }
        position += 1
        return nil
    }

    private mutating func headComplete() -> Event? {
        guard status >= 100 && status <= 999 else { return fail() }
        if status < 200 && status != 101 {
            // An interim response (100 Continue, 103 Early Hints): the final one follows.
            state = .version
            position = 0
            status = 0
            return nil
        }
        closes = fields.wantsClose || (isHTTP10 && !fields.wantsKeepAlive)
        if status == 204 || status == 304 {
            bodyLeft = 0
            return complete()
        }
        if fields.hasTransferEncoding {
            guard fields.isChunked else {
                state = .untilClose  // another coding last: the body ends with the stream (RFC 9112 §6.3)
                return nil
            }
            beginChunk()
            return nil
        }
        if let length = fields.contentLength {
            bodyLeft = length
            if length == 0 { return complete() }
            state = .body
            return nil
        }
        state = .untilClose
        return nil
    }

    // MARK: Chunks

    private mutating func beginChunk() {
        state = .chunkSize
        chunkSize = 0
        sawChunkDigit = false
    }

    private mutating func chunkSizeEnd(_ byte: UInt8) -> Event? {
        if byte == UInt8(ascii: "\r") {
            state = .chunkSizeFeed
            return nil
        }
        guard byte == UInt8(ascii: "\n") else { return fail() }
        return chunkSizeDone()
    }

    private mutating func chunkSizeDone() -> Event? {
        if chunkSize == 0 {  // the last chunk: trailer fields follow, then an empty line
            state = .trailers
            fields.reset()
            return nil
        }
        state = .chunkData
        return nil
    }

    // MARK: Ending

    private mutating func complete() -> Event {
        state = .idle
        return .complete(Response(status: status, bodyLength: bodyLength, closes: closes))
    }

    private mutating func fail() -> Event {
        state = .failed
        return .malformed
    }
}
