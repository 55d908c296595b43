/// HTTP/2 over cleartext with prior knowledge (h2c, RFC 9113 §3.3), the routes of HTTP/1.1 (`GET /bytes/N`, `GET /`):
/// libnghttp2 does the framing, HPACK and flow control; requests on one connection are streams, answered in
/// interleaved DATA frames as they are ready.
enum HTTP2Protocol: WireProtocolType {
    static let name = "h2"
    static let traits = ProtocolTraits(
        summary: "HTTP/2 with prior knowledge (h2c): GET /bytes/N and GET / as in http, requests as streams",
        timesIdleClients: true, unsentLimit: HTTP2ServerSession.renderedAhead, halfClosesAfterLastRequest: false,
        serverMayCloseWhenIdle: true, closesWhenAnswered: true, requestsByPath: true,
        multiplexesStreams: true, alpn: "h2")

    static func makeServerSession(_ settings: ServerSessionSettings) -> any ServerSession {
        HTTP2ServerSession(settings)
    }

    static func makeClientSession(_ settings: ClientSessionSettings) -> any ClientSession {
        HTTP2ClientSession(settings)
    }
}

extension WireProtocol {
    public static let h2 = WireProtocol(HTTP2Protocol.self)
}
