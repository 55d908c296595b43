/// A target as wrk takes it: `http://host[:port][/path]` or `https://...` (TLS), the host a name, an IPv4 address or
/// a bracketed IPv6 address (`http://[::1]:8080/bytes/16`).
public struct TargetURL: Equatable, Sendable {
    /// `https://`: the connections speak TLS.
    public var isSecure: Bool
    /// The host as written, without brackets.
    public var host: String
    public var port: Int
    /// The path and query, `/` when the URL has none.
    public var path: String
    /// `host:port` as the URL wrote it, for the Host field (`localhost:8080`, `[::1]:8080`; `localhost` for port 80
    /// given by default).
    public var authority: String
}

extension TargetURL {
    /// Reads `text`; the error says what is wrong with it.
    public init(_ text: String) throws(Units.ParseError) {
        func failure(_ reason: String) -> Units.ParseError {
            Units.ParseError(description: "the target \(reason), got '\(text)'")
        }
        let lowered = text.lowercased()
        let isSecure = lowered.hasPrefix("https://")
        guard isSecure || lowered.hasPrefix("http://") else {
            throw failure("is a URL such as http://127.0.0.1:8080/bytes/16 or https://localhost:8443/")
        }
        let rest = text.dropFirst(isSecure ? "https://".count : "http://".count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        // The authority becomes the Host field as it is: a control character there (a NUL, a line break) would make
        // every request one the server refuses, or smuggle a field in (found by Fuzz/Targets/http-roundtrip). A
        // letter beyond ASCII is refused too: a host name goes on the wire in its xn-- form, and a mark such as
        // U+0603 joins the '/' after it into one Character, which moved the path into the host (found by
        // Fuzz/Targets/target-url, Fuzz/corpus/target-url/mark-before-the-path).
        guard authority.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
            throw failure("has a space, a control character or a letter beyond ASCII in its host (write a name as xn--)")
        }
        let remainder = rest.dropFirst(authority.count)
        let path = remainder.isEmpty ? "/" : remainder.hasPrefix("?") ? "/" + remainder : String(remainder)
        var hostPart = Substring(authority)
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw failure("has an IPv6 host without its ']'") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw failure("has text after its IPv6 host") }
                portPart = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty else { throw failure("has no host") }
        var port = isSecure ? 443 : 80
        if let portPart {
            guard let number = Int(portPart), (1...65535).contains(number) else { throw failure("has a bad port") }
            port = number
        }
        self.init(
            isSecure: isSecure, host: String(hostPart), port: port, path: path, authority: String(authority))
    }
}
