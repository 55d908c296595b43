/// The header section of an HTTP/1.1 message (RFC 9112 §5), read one byte at a time and kept nowhere: field names
/// are matched as they stream by against the few fields the harness acts on, and their values are parsed on the
/// fly. A hostile client can therefore send any number of bytes without making the scanner hold any of them; the
/// section's length is counted, so that the owner can refuse one that is too long.
///
/// Servers (``HTTPRequestParser``) and the driver (``HTTPResponseParser``) share it.
struct HTTPFieldScanner {
    /// What one byte did.
    enum Step: Equatable {
        /// The section goes on.
        case more
        /// That byte ended the empty line that closes the section.
        case end
        /// The section breaks RFC 9112 (a space before a colon, a control character, a folded line, two different
        /// Content-Length values, ...): a server answers 400, the driver calls the response bad.
        case malformed
    }

    /// The fields acted on, by their lowercase names.
    private static let names: [[UInt8]] = ["content-length", "transfer-encoding", "connection", "host"].map {
        Array($0.utf8)
    }
    private static let contentLength = 0
    private static let transferEncoding = 1
    private static let connection = 2
    private static let host = 3
    /// Tokens looked for in list-valued fields: Connection's `close` and `keep-alive`, Transfer-Encoding's `chunked`.
    private static let tokens: [[UInt8]] = ["close", "keep-alive", "chunked"].map { Array($0.utf8) }
    private static let closeToken = 0
    private static let keepAliveToken = 1
    private static let chunkedToken = 2

    private enum State: UInt8 {
        case lineStart, name, value, lineFeed, sectionFeed
    }

    // MARK: What the section said

    /// The Content-Length value, when the field was present.
    private(set) var contentLength: UInt64?
    /// Whether a Transfer-Encoding field was present, and whether its last coding was `chunked`.
    private(set) var hasTransferEncoding = false
    private(set) var isChunked = false
    /// Whether a Connection field named `close`, or `keep-alive`.
    private(set) var wantsClose = false
    private(set) var wantsKeepAlive = false
    /// Whether a Host field was present.
    private(set) var hasHost = false
    /// Bytes of the section so far, its final empty line included.
    private(set) var count = 0

    // MARK: Where the scan stands

    private var state = State.lineStart
    /// The field whose name is being read or whose value this is (an index of ``names``), or -1 for any other.
    private var field = -1
    /// Which of ``names`` still match the name read so far (bit i for names[i]), and how long it is.
    private var candidates: UInt8 = 0
    private var nameLength = 0
    /// The value of a Content-Length field being read, and whether a digit or a space after the digits was seen.
    private var digits: UInt64 = 0
    private var sawDigit = false
    private var afterDigits = false
    /// The list token being read: which of ``tokens`` it may still be, how long it is, and whether it ended (a space
    /// after it, before the next comma).
    private var tokenCandidates: UInt8 = 0
    private var tokenLength = 0
    private var tokenEnded = false
    /// The last complete token of a Transfer-Encoding value was `chunked`.
    private var lastTokenChunked = false

    init() {}

    /// Ready for the next message's section.
    mutating func reset() {
        self = HTTPFieldScanner()
    }

    /// Feeds one byte of the section.
    mutating func feed(_ byte: UInt8) -> Step {
        count &+= 1
        switch state {
        case .lineStart:
            switch byte {
            case UInt8(ascii: "\r"):
                state = .sectionFeed
                return .more
            case UInt8(ascii: "\n"):  // a bare LF ends a line too (RFC 9112 §2.2 lets a recipient accept it)
                return .end
            default:
                // A line starting with a space or tab continues the previous one (obs-fold): rejected, as §5.2 allows.
                guard HTTPBytes.isTokenCharacter(byte) else { return .malformed }
                state = .name
                candidates = 0b1111
                nameLength = 0
                return matchName(byte)
            }
        case .name:
            if byte == UInt8(ascii: ":") { return beginValue() }
            // No space between the name and the colon (§5.1: a server must reject the request with 400).
            guard HTTPBytes.isTokenCharacter(byte) else { return .malformed }
            return matchName(byte)
        case .value:
            switch byte {
            case UInt8(ascii: "\r"):
                state = .lineFeed
                return .more
            case UInt8(ascii: "\n"):
                return endValue()
            default:
                guard HTTPBytes.isFieldValueCharacter(byte) else { return .malformed }
                return valueByte(byte)
            }
        case .lineFeed:
            guard byte == UInt8(ascii: "\n") else { return .malformed }
            return endValue()
        case .sectionFeed:
            return byte == UInt8(ascii: "\n") ? .end : .malformed
        }
    }

    // MARK: Names

    private mutating func matchName(_ byte: UInt8) -> Step {
        let lower = HTTPBytes.lowercased(byte)
        for index in Self.names.indices where candidates & (1 << index) != 0 {
            let name = Self.names[index]
            if nameLength >= name.count || name[nameLength] != lower { candidates &= ~(1 << index) }
        }
        nameLength += 1
        return .more
    }

    private mutating func beginValue() -> Step {
        guard nameLength > 0 else { return .malformed }
        field = -1
        for index in Self.names.indices where candidates & (1 << index) != 0 && Self.names[index].count == nameLength {
            field = index
        }
        state = .value
        digits = 0
        sawDigit = false
        afterDigits = false
        beginToken()
        lastTokenChunked = false
        if field == Self.host { hasHost = true }
        if field == Self.transferEncoding { hasTransferEncoding = true }
        return .more
    }

    // MARK: Values

    private mutating func valueByte(_ byte: UInt8) -> Step {
        let isSpace = byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
        switch field {
        case Self.contentLength:
            if isSpace {
                if sawDigit { afterDigits = true }
                return .more
            }
            guard let digit = HTTPBytes.decimalDigit(byte), !afterDigits else { return .malformed }
            let (times10, overflow1) = digits.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit))
            guard !overflow1 && !overflow2 else { return .malformed }
            digits = sum
            sawDigit = true
            return .more
        case Self.connection, Self.transferEncoding:
            if byte == UInt8(ascii: ",") {
                endToken()
                beginToken()
            } else if isSpace {
                if tokenLength > 0 { tokenEnded = true }
            } else if tokenEnded {
                tokenCandidates = 0  // a space inside a token: it is none of ours
            } else {
                let lower = HTTPBytes.lowercased(byte)
                for index in Self.tokens.indices where tokenCandidates & (1 << index) != 0 {
                    let token = Self.tokens[index]
                    if tokenLength >= token.count || token[tokenLength] != lower { tokenCandidates &= ~(1 << index) }
                }
                tokenLength += 1
            }
            return .more
        default:
            return .more
        }
    }

    private mutating func endValue() -> Step {
        state = .lineStart
        switch field {
        case Self.contentLength:
            guard sawDigit else { return .malformed }
            // The same length twice is allowed (§6.3 lets a recipient accept repeated identical values); two
            // different lengths are a smuggling attempt or a broken sender.
            if let contentLength, contentLength != digits { return .malformed }
            contentLength = digits
        case Self.connection, Self.transferEncoding:
            endToken()
            if field == Self.transferEncoding { isChunked = lastTokenChunked }
        default:
            break
        }
        return .more
    }

    private mutating func beginToken() {
        tokenCandidates = field == Self.connection ? 0b011 : field == Self.transferEncoding ? 0b100 : 0
        tokenLength = 0
        tokenEnded = false
    }

    private mutating func endToken() {
        guard tokenLength > 0 else { return }
        func matched(_ index: Int) -> Bool {
            tokenCandidates & (1 << index) != 0 && Self.tokens[index].count == tokenLength
        }
        if matched(Self.closeToken) { wantsClose = true }
        if matched(Self.keepAliveToken) { wantsKeepAlive = true }
        lastTokenChunked = matched(Self.chunkedToken)
    }
}
