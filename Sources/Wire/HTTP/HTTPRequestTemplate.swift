/// The requests the driver sends in HTTP: `GET PATH HTTP/1.1`, Host, the user's header fields, and on the last
/// request of a connection `Connection: close`, so that the server closes first (and keeps the TIME_WAIT, as in the
/// greeting protocol). `{size}` in the path takes each request's n, so `--path /bytes/{size} --size 1-4096` asks for
/// sizes as the request protocol does.
public struct HTTPRequestTemplate: Sendable, Equatable, Codable {
    /// The placeholder in a path that each request's size replaces.
    public static let sizePlaceholder = "{size}"

    /// `GET ` and the path up to `{size}`.
    private let prefix: [UInt8]
    /// The path after `{size}` (all of it without one), the version, Host and the user's fields.
    private let suffix: [UInt8]
    private let hasSize: Bool
    /// The target, the authority and the user's fields as given, for HTTP/2, which sends them as header fields.
    let path: String
    let authority: String
    let fields: [String]
    private static let close = Array("Connection: close\r\n\r\n".utf8)
    private static let end = Array("\r\n".utf8)

    /// - Parameters:
    ///   - path: the request target, with `{size}` where each request's n goes (its first occurrence).
    ///   - authority: the Host field's value (`host:port`, as the target was given).
    ///   - fields: `Name: value` lines sent with every request; one naming Host replaces the default.
    public init(path: String, authority: String, fields: [String]) {
        (self.path, self.authority, self.fields) = (path, authority, fields)
        let placeholder = path.firstRange(of: Self.sizePlaceholder)
        hasSize = placeholder != nil
        prefix = Array("GET \(placeholder.map { path[..<$0.lowerBound] } ?? path[...])".utf8)
        let rest = placeholder.map { path[$0.upperBound...] } ?? ""
        let namesHost = fields.contains { $0.lowercased().hasPrefix("host:") }
        let host = namesHost ? "" : "Host: \(authority)\r\n"
        suffix = Array("\(rest) HTTP/1.1\r\n\(host)".utf8) + fields.flatMap { Array("\($0)\r\n".utf8) }
    }

    /// Whether the path asks for each request's size, so that a body's length can be checked against it.
    public var asksSize: Bool { hasSize }

    /// Bytes of the longest request.
    public var capacity: Int { prefix.count + 10 + suffix.count + Self.close.count }

    /// Writes the request for `size` into `buffer` (at least ``capacity`` bytes) and returns its length; `last` adds
    /// `Connection: close`.
    public func write(size: UInt32, last: Bool, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        var position = HTTPBytes.put(prefix, into: buffer, at: 0)
        if hasSize { position = HTTPResponseHead.writeDecimal(Int(size), into: buffer, at: position) }
        position = HTTPBytes.put(suffix, into: buffer, at: position)
        return HTTPBytes.put(last ? Self.close : Self.end, into: buffer, at: position)
    }

    /// Why `field` cannot be sent as a header field, or nil when it can.
    public static func problem(with field: String) -> String? {
        guard let colon = field.firstIndex(of: ":"), colon != field.startIndex else {
            return "takes 'Name: value', got '\(field)'"
        }
        let name = field[..<colon].utf8
        guard name.allSatisfy(HTTPBytes.isTokenCharacter) else {
            return "has a name with characters HTTP forbids: '\(field)'"
        }
        guard field[colon...].utf8.dropFirst().allSatisfy(HTTPBytes.isFieldValueCharacter) else {
            return "has a value with a control character (a line break?): '\(field)'"
        }
        return nil
    }
}
