import COpenSSL

/// A TLS failure, with what OpenSSL said of it (a received alert reads as, say, "tlsv1 alert protocol version").
public struct TLSError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    /// `context`, followed by the reasons on this thread's OpenSSL error queue, which it empties.
    static func drained(_ context: String) -> TLSError {
        let reasons = drainReasons()
        return TLSError(reasons.isEmpty ? context : "\(context): \(reasons.joined(separator: "; "))")
    }

    /// Empties this thread's OpenSSL error queue, returning each entry's reason. A failure left on the queue would be
    /// reported by the next connection served on the same thread, so every failure path drains it.
    static func drainReasons() -> [String] {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            if let reason = ERR_reason_error_string(code) {
                reasons.append(String(cString: reason))
            } else {
                reasons.append("error \(code)")
            }
        }
        return reasons
    }
}
