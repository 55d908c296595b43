/// The statuses the harness's HTTP server answers with, each with its reason phrase and the short body of an error.
public enum HTTPStatus: Int, Sendable, CaseIterable {
    case ok = 200
    case badRequest = 400
    case notFound = 404
    case methodNotAllowed = 405
    case contentTooLarge = 413
    case uriTooLong = 414
    case headersTooLarge = 431
    case notImplemented = 501
    case versionNotSupported = 505

    /// RFC 9110's reason phrase.
    public var reason: String {
        switch self {
        case .ok: "OK"
        case .badRequest: "Bad Request"
        case .notFound: "Not Found"
        case .methodNotAllowed: "Method Not Allowed"
        case .contentTooLarge: "Content Too Large"
        case .uriTooLong: "URI Too Long"
        case .headersTooLarge: "Request Header Fields Too Large"
        case .notImplemented: "Not Implemented"
        case .versionNotSupported: "HTTP Version Not Supported"
        }
    }

    /// Whether the connection is closed after this answer whatever the request asked: the request could not be
    /// read to its end, so nothing after it can be trusted to be the next request.
    var closes: Bool {
        switch self {
        case .badRequest, .uriTooLong, .headersTooLarge, .notImplemented, .versionNotSupported: true
        case .ok, .notFound, .methodNotAllowed, .contentTooLarge: false
        }
    }
}
