/// The conversations every server speaks and the driver checks (docs/PROTOCOL.md defines them byte by byte).
public enum WireProtocol: String, CaseIterable, Sendable, Codable {
    /// On accept the server writes one 81-byte ``Greeting`` frame and closes.
    case greeting
    /// The client sends 4-byte big-endian sizes n; the server answers each with n random bytes.
    case request
    /// HTTP/1.1 after httpbin: `GET /bytes/N` answers N random bytes, `GET /` the greeting; keep-alive and
    /// pipelining; malformed or unservable requests get the status a real server sends.
    case http
    /// The server returns every byte it reads, in order, and closes after the client's half-close and its own last
    /// byte; the client checks every byte.
    case echo
    /// The client sends `[id u32][n u32]`; the server answers in frames `[id u32][length u32][bytes]` of at most
    /// 16 KiB, interleaved round-robin over every response owed, so a small answer overtakes a large one.
    case multiplex
}

/// Defaults shared by servers and the driver, so `bench serve` and `bench drive` meet without options.
public enum WireDefaults {
    public static let port = 5050
    public static let host = "127.0.0.1"
    /// Largest request a server answers unless told otherwise: 1 MiB.
    public static let maxRequestBytes: UInt32 = 1 << 20
}
