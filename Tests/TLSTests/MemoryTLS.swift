import TLS

/// Two ends of TLS joined in memory: what one side owes is handed to the other whole, a flight at a time, so that a
/// test sees the engine's behaviour without sockets or timing.
extension TLSConnection {
    /// Every ciphertext byte owed to the peer, taken.
    func takeAllCiphertext() -> [UInt8] {
        var taken: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 14)
        while owedCiphertext > 0 {
            let count = buffer.withUnsafeMutableBytes { takeCiphertext(into: $0) }
            guard count > 0 else { break }  // owed yet not taken would loop for ever
            taken += buffer[..<count]
        }
        return taken
    }

    func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// Decrypts everything fed so far; returns the plaintext and how the last read ended.
    func readAll() -> (bytes: [UInt8], ending: ReadResult) {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 14)
        while true {
            let result = buffer.withUnsafeMutableBytes { read(into: $0) }
            guard case .bytes(let count) = result else { return (bytes, result) }
            bytes += buffer[..<count]
        }
    }

    func write(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBytes { write($0) }
    }
}

/// Runs a handshake between `client` and `server`, delivering each side's flight to the other, until neither needs
/// more input; a side that fails stops stepping, but its alert is still delivered, so the other fails with the
/// reason the peer sent.
func handshake(
    client: TLSConnection, server: TLSConnection
) -> (client: TLSConnection.Progress, server: TLSConnection.Progress) {
    var clientProgress = TLSConnection.Progress.needsInput
    var serverProgress = TLSConnection.Progress.needsInput
    // A full TLS 1.2 handshake, or a TLS 1.3 one with a HelloRetryRequest, is two round trips; eight bound one that
    // never ends.
    for _ in 0..<8 {
        if clientProgress == .needsInput { clientProgress = client.handshake() }
        server.feed(client.takeAllCiphertext())
        if serverProgress == .needsInput { serverProgress = server.handshake() }
        client.feed(server.takeAllCiphertext())
        if clientProgress != .needsInput && serverProgress != .needsInput { break }
    }
    return (clientProgress, serverProgress)
}

/// A client and a server of these contexts, with their handshake run and how it ended on each side.
struct MemoryPair {
    let client: TLSConnection
    let server: TLSConnection
    let progress: (client: TLSConnection.Progress, server: TLSConnection.Progress)

    init(
        client clientContext: TLSContext, server serverContext: TLSContext, serverName: String? = nil,
        resuming session: TLSSession? = nil
    ) throws {
        client = try TLSConnection(clientContext, serverName: serverName)
        server = try TLSConnection(serverContext)
        if let session { client.resume(session) }
        progress = handshake(client: client, server: server)
    }

    var bothDone: Bool { progress.client == .done && progress.server == .done }

    /// The session the client may resume next time: TLS 1.3 sends its tickets after the handshake, so the server's
    /// last flight is read first.
    func clientSession() -> TLSSession? {
        client.feed(server.takeAllCiphertext())
        _ = client.readAll()
        return client.session
    }
}

extension TLSConnection.Progress {
    /// The reason of a failure, nil otherwise.
    var failure: String? {
        guard case .failed(let reason) = self else { return nil }
        return reason
    }
}
