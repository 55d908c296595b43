/// The server's side of one connection, sans I/O: a model feeds it the bytes it reads and learns what it owes.
///
/// Every response is random bytes, so what a server owes after any chunk is a count: pipelined requests of
/// n1, n2, n3 bytes are answered by n1 + n2 + n3 random bytes in a row. A session therefore holds four header
/// bytes at most and never allocates, whatever a client sends.
public struct ServerSession: Sendable {
    /// Why a connection must be closed at once.
    public enum Violation: Equatable, Sendable {
        /// A request for 0 bytes, or for more than the server's maximum.
        case sizeOutOfRange(UInt32)
        /// The client half-closed in the middle of a 4-byte header.
        case truncatedHeader
    }

    /// What one chunk of input asks of the server.
    public struct Outcome: Equatable, Sendable {
        /// Random bytes to send now, for the requests completed in this chunk.
        public var responseBytes: Int = 0
        /// Requests completed in this chunk.
        public var requests: Int = 0
        /// Set when the connection must be closed at once (nothing more is sent).
        public var violation: Violation?

        public init(responseBytes: Int = 0, requests: Int = 0, violation: Violation? = nil) {
            self.responseBytes = responseBytes
            self.requests = requests
            self.violation = violation
        }
    }

    public let maxRequestBytes: UInt32
    private var header: UInt32 = 0
    private var headerBytes = 0
    private var violated = false

    public init(maxRequestBytes: UInt32 = WireDefaults.maxRequestBytes) {
        precondition(maxRequestBytes >= 1, "the largest request must be at least 1 byte")
        self.maxRequestBytes = maxRequestBytes
    }

    /// Called by a model for every chunk it reads, of any size. After a violation the rest is ignored.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        var outcome = Outcome()
        guard !violated else { return outcome }
        for byte in bytes {
            header = header << 8 | UInt32(byte)
            headerBytes += 1
            guard headerBytes == RequestHeader.length else { continue }
            let size = header
            header = 0
            headerBytes = 0
            guard size >= 1 && size <= maxRequestBytes else {
                violated = true
                outcome.violation = .sizeOutOfRange(size)
                return outcome
            }
            outcome.responseBytes += Int(size)
            outcome.requests += 1
        }
        return outcome
    }

    /// Called by a model when the client half-closes: a header cut short is a violation; otherwise the model
    /// finishes sending what it owes and closes.
    public mutating func receiveEnd() -> Violation? {
        guard !violated, headerBytes > 0 else { return nil }
        violated = true
        return .truncatedHeader
    }
}
