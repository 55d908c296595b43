/// What an h2 client may make the server do for nothing before the connection ends with GOAWAY ENHANCE_YOUR_CALM:
/// streams it resets before their answers (rapid reset, CVE-2023-44487) and PING or SETTINGS frames the server must
/// acknowledge (a flood whose ACKs the client never reads). Each is counted against the requests the client has
/// made useful, without a clock, so that a session in memory answers a given input always the same way: an honest
/// client resets a few streams among many answered and sends a SETTINGS frame or a PING now and then, an attacker
/// sends little else.
///
/// The allowances are well under nghttp2's own (1,000 ACKs queued, 1,000 resets in a burst, where its version
/// has them), so that this policy, not the library's version, decides.
struct HTTP2Abuse {
    /// Resets beyond the answers sent whole.
    static let resetAllowance = 100
    /// PING and SETTINGS frames beyond the requests begun.
    static let controlFrameAllowance = 100
    /// A request's header list, decoded, at most (RFC 9113 §6.5.2's count: each field's name and value and 32), as
    /// HTTP/1.1's field section is bounded: an HPACK bomb (one large entry of the dynamic table named again and again
    /// by a byte each) decodes to thousands of times its size on the wire. Said in the server's SETTINGS.
    static let maxHeaderListBytes = 16 << 10

    private var resets = 0
    private var answered = 0
    private var controlFrames = 0
    private var requests = 0

    mutating func reset() {
        self = HTTP2Abuse()
    }

    mutating func requestBegun() {
        requests += 1
    }

    mutating func answerSent() {
        answered += 1
    }

    /// The client reset a stream; true when that is one too many.
    mutating func clientReset() -> Bool {
        resets += 1
        return resets > answered + Self.resetAllowance
    }

    /// The client sent a PING or SETTINGS that is no ACK; true when that is one too many.
    mutating func controlFrame() -> Bool {
        controlFrames += 1
        return controlFrames > requests + Self.controlFrameAllowance
    }

    /// The bytes a header field adds to its list.
    static func fieldBytes(name: Int, value: Int) -> Int { name + value + 32 }
}
