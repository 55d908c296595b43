/// HTTP/1.1 after httpbin: `GET /bytes/N` answers N random bytes, `GET /` the greeting; keep-alive and pipelining;
/// malformed or unservable requests get the status a real server sends.
enum HTTPProtocol: WireProtocolType {
    static let name = "http"
    static let traits = ProtocolTraits(
        summary: "HTTP/1.1: GET /bytes/N answers N random bytes, GET / the greeting; keep-alive and pipelining",
        timesIdleClients: true, halfClosesAfterLastRequest: false, serverMayCloseWhenIdle: true,
        requestsByPath: true, alpn: "http/1.1")

    static func makeServerSession(_ settings: ServerSessionSettings) -> any ServerSession { HTTPServerSession(settings) }

    static func makeClientSession(_ settings: ClientSessionSettings) -> any ClientSession {
        HTTPClientSession(settings)
    }
}

extension WireProtocol {
    public static let http = WireProtocol(HTTPProtocol.self)
}
