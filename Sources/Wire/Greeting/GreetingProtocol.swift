/// The classic random-bytes server: on accept it writes one 81-byte ``Greeting`` frame and closes; the client says
/// nothing.
enum GreetingProtocol: WireProtocolType {
    static let name = "greeting"
    static let traits = ProtocolTraits(
        summary: "on accept the server writes one 81-byte frame and closes", clientSends: false, exchange: .connection,
        answersFromPool: false)

    static func makeServerSession(_ settings: ServerSessionSettings) -> any ServerSession { GreetingServerSession() }
    static func makeClientSession(_ settings: ClientSessionSettings) -> any ClientSession { GreetingClientSession() }
}

extension WireProtocol {
    public static let greeting = WireProtocol(GreetingProtocol.self)
}
