/// The server returns every byte it reads, in order, and closes after the client's half-close and its own last
/// byte; the client streams one exchange of `--size` bytes while it reads, and checks every byte.
enum EchoProtocol: WireProtocolType {
    static let name = "echo"
    // An echo asks the server for nothing, so its size is bounded only by what a run can send.
    static let traits = ProtocolTraits(
        summary: "the server returns every byte it reads and closes after the client's half-close",
        exchange: .connection, answersFromPool: false, streamsExchange: true, largestSize: 1 << 30)

    static func makeServerSession(_ settings: ServerSessionSettings) -> any ServerSession { EchoServerSession() }

    static func makeClientSession(_ settings: ClientSessionSettings) -> any ClientSession {
        EchoClientSession(content: settings.content!)
    }
}

extension WireProtocol {
    public static let echo = WireProtocol(EchoProtocol.self)
}
