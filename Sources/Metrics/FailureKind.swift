/// Every way a client connection can fail, in the driver's words (docs/PROTOCOL.md, "What the client checks").
///
/// Failures are data, not exceptions: each worker counts them by kind and the counts are summed at the end.
public enum FailureKind: String, CaseIterable, Sendable, Codable {
    case connectRefused = "connect_refused"
    case connectTimeout = "connect_timeout"
    case connectionReset = "connection_reset"
    case readTimeout = "read_timeout"
    /// The server closed before the whole response arrived (a short read).
    case closedEarly = "closed_early"
    /// Wrong length, a wrong greeting frame, or a response that is not HTTP.
    case badResponse = "bad_response"
    /// Echo: a byte came back other than the one sent at its place.
    case echoMismatch = "echo_mismatch"
    /// An HTTP response with a 4xx status (the connection goes on if the server keeps it).
    case httpClientError = "http_4xx"
    /// An HTTP response with a 5xx status.
    case httpServerError = "http_5xx"
    /// HTTP/2: the server refused a stream (RST_STREAM with REFUSED_STREAM, or past a GOAWAY's last stream): it did
    /// no work for it, and a client may try it again.
    case streamRefused = "h2_refused_stream"
    /// HTTP/2: the server reset a stream with any other error code (the connection goes on).
    case streamReset = "h2_stream_reset"
    /// HTTP/2: the server ended the connection with GOAWAY and an error code.
    case goaway = "h2_goaway"
    /// The TLS handshake failed: an alert from the server (its name is kept, ``TLSFigures/lastFailure``), bytes that
    /// are not TLS, or the connection closed before the handshake ended.
    case tlsHandshake = "tls_handshake"
    /// After the handshake: a record that does not decrypt, or a stream cut inside a record.
    case tlsRecord = "tls_record"
    /// The driver's own limit (no free local port, no file descriptor): says nothing about the server.
    case localResource = "local_resource"

    /// True for failures the server caused; false for the driver's own limits, which are reported apart.
    public var isServerSide: Bool { self != .localResource }

    /// The CSV column that counts this kind, e.g. `fail_connect_refused`.
    public var csvColumn: String { "fail_" + rawValue }

    /// How the summary names this kind for a person, e.g. `connect refused`.
    public var label: String { String(rawValue.map { $0 == "_" ? " " : $0 }) }
}
