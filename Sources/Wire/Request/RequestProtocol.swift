/// Sized requests: the client sends 4-byte big-endian sizes n (``RequestHeader``); the server answers each with n
/// random bytes, in order, and closes after the client's half-close.
enum RequestProtocol: WireProtocolType {
    static let name = "request"
    static let traits = ProtocolTraits(summary: "the client sends 4-byte sizes n; the server answers n random bytes each")

    static func makeServerSession(_ settings: ServerSessionSettings) -> any ServerSession {
        RequestServerSession(settings)
    }

    static func makeClientSession(_ settings: ClientSessionSettings) -> any ClientSession {
        RequestClientSession(settings)
    }
}

extension WireProtocol {
    public static let request = WireProtocol(RequestProtocol.self)
}
