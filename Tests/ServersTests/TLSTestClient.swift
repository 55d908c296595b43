import TLS

/// An honest TLS client over a blocking ``TestClient``: the engine's ciphertext goes out through the socket and the
/// socket's bytes are fed to it. Every wait is the socket's timeout, so a server that misbehaves fails a test instead
/// of hanging it.
final class TLSTestClient {
    let socket: TestClient
    let connection: TLSConnection
    private let timeoutMillis: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 14)

    init(port: Int, timeoutSeconds: Int = 10) throws {
        socket = try TestClient(port: port, timeoutSeconds: timeoutSeconds)
        connection = try TLSConnection(try .client(TLSSettings()))
        timeoutMillis = Int32(timeoutSeconds * 1000)
    }

    /// The ciphertext owed, taken to be sent (whole or not, as a test decides).
    func takeOwedCiphertext() -> [UInt8] {
        var owed: [UInt8] = []
        while connection.owedCiphertext > 0 {
            let count = buffer.withUnsafeMutableBytes { connection.takeCiphertext(into: $0) }
            guard count > 0 else { break }
            owed += buffer[..<count]
        }
        return owed
    }

    /// Sends the ciphertext owed; false when the connection failed.
    private func flush() -> Bool {
        socket.send(takeOwedCiphertext())
    }

    /// Feeds what arrives within the timeout; false when nothing did (the stream ended, or the server is silent).
    private func receive() -> Bool {
        let bytes = socket.readAvailable(waitingMillis: timeoutMillis)
        bytes.withUnsafeBytes { connection.feed($0) }
        return !bytes.isEmpty
    }

    /// Runs the handshake to its end.
    func handshake() -> TLSConnection.Progress {
        while true {
            let progress = connection.handshake()
            guard flush() else { return .failed("the connection failed mid-handshake") }
            guard progress == .needsInput else { return progress }
            guard receive() else { return .failed("the server sent nothing more mid-handshake") }
        }
    }

    /// Encrypts and sends `bytes`; false when that failed.
    func send(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { connection.write($0) } == nil && flush()
    }

    /// Plaintext until `count` bytes, the server's close_notify, a failure or the stream's end (read as
    /// `.needsInput`: no close_notify came), whichever is first; and how the last read ended.
    func read(upTo count: Int = .max) -> (bytes: [UInt8], ending: TLSConnection.ReadResult) {
        var bytes: [UInt8] = []
        while true {
            let result = buffer.withUnsafeMutableBytes { connection.read(into: $0) }
            switch result {
            case .bytes(let received):
                bytes += buffer[..<received]
                if bytes.count >= count { return (bytes, result) }
            case .needsInput:
                // TLS 1.3's tickets, read here, may owe nothing; a key update would owe an answer.
                guard flush(), receive() else { return (bytes, result) }
            case .closed, .failed:
                return (bytes, result)
            }
        }
    }

    /// One request protocol exchange (16 bytes asked and answered), then this side's close_notify and the server's
    /// in answer: what a served client sees. Nil when it was served so, else what went wrong.
    func exchangeAndClose() -> String? {
        let handshake = handshake()
        guard handshake == .done else { return "handshake: \(handshake)" }
        guard send([0, 0, 0, 16]) else { return "the request could not be sent" }
        let answer = read(upTo: 16)
        guard answer.bytes.count == 16 else { return "answer: \(answer.bytes.count) bytes, then \(answer.ending)" }
        connection.close()
        guard flush() else { return "close_notify could not be sent" }
        let end = read()
        guard end.bytes.isEmpty, end.ending == .closed else { return "end: \(end.bytes.count) bytes, then \(end.ending)" }
        return nil
    }
}
