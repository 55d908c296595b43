/// Requests by id, `[id u32][n u32]`, answered in frames `[id u32][length u32][bytes]` of at most 16 KiB, interleaved
/// round-robin over every answer owed, so that a small answer overtakes a large one.
enum MultiplexProtocol: WireProtocolType {
    static let name = "multiplex"
    static let traits = ProtocolTraits(
        summary: "requests by id, answered in interleaved frames of at most 16 KiB",
        unsentLimit: MultiplexServerSession.renderedAhead)

    static func makeServerSession(_ settings: ServerSessionSettings) -> any ServerSession {
        MultiplexServerSession(settings)
    }

    static func makeClientSession(_ settings: ClientSessionSettings) -> any ClientSession {
        MultiplexClientSession(settings)
    }
}

extension WireProtocol {
    public static let multiplex = WireProtocol(MultiplexProtocol.self)
}
