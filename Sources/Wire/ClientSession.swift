/// The client's side of one connection, sans I/O: the driver tells it what it sent and feeds it what it read;
/// it says which responses completed and whether the server kept to the protocol.
///
/// Response bytes of the request protocol are random, so checking them is counting them: a response is whole
/// when its n-th byte arrives, a byte beyond what was asked for is a bad response, and an end of stream with a
/// response outstanding is a short read. Greeting frames are checked byte by byte as they arrive, with no
/// buffer. Up to `pipelineDepth` requests may be outstanding; their sizes sit in a fixed ring.
public struct ClientSession: Sendable {
    /// What a chunk of response bytes completed.
    public struct Progress: Equatable, Sendable {
        /// Responses whose first byte arrived in this chunk (oldest outstanding first).
        public var firstBytes = 0
        /// Responses completed in this chunk (oldest outstanding first).
        public var completed = 0
        /// The server sent a byte it had no reason to send, or a wrong greeting byte.
        public var bad = false

        public init(firstBytes: Int = 0, completed: Int = 0, bad: Bool = false) {
            self.firstBytes = firstBytes
            self.completed = completed
            self.bad = bad
        }
    }

    /// How a connection ended, seen from the client, when the server closed its side.
    public enum Ending: Equatable, Sendable {
        /// Everything asked for arrived, and nothing else.
        case complete
        /// The stream ended before a response was whole (or before any greeting byte).
        case closedEarly
        /// Bytes arrived that the protocol does not allow.
        case badResponse
    }

    public let wireProtocol: WireProtocol
    public let pipelineDepth: Int
    private var ring: [UInt32]
    private var head = 0
    /// Requests sent and not yet answered in full.
    public private(set) var outstanding = 0
    /// Bytes of the oldest outstanding response (or of the greeting) received so far.
    private var received = 0
    private var bad = false

    public init(protocol wireProtocol: WireProtocol, pipelineDepth: Int = 1) {
        precondition(pipelineDepth >= 1, "at least one request must be allowed in flight")
        self.wireProtocol = wireProtocol
        self.pipelineDepth = pipelineDepth
        ring = Array(repeating: 0, count: wireProtocol == .request ? pipelineDepth : 0)
    }

    /// Called by the driver when a new connection starts on this session's storage; keeps the ring.
    public mutating func reset() {
        head = 0
        outstanding = 0
        received = 0
        bad = false
    }

    /// Whether another request may be sent now without exceeding the pipeline depth.
    public var canSend: Bool { wireProtocol == .request && outstanding < pipelineDepth }

    /// Called by the driver after it has written a request header for `size` bytes.
    public mutating func sent(requestOf size: UInt32) {
        precondition(canSend, "request sent beyond the pipeline depth")
        ring[(head + outstanding) % pipelineDepth] = size
        outstanding += 1
    }

    /// Called by the driver with every chunk it reads, of any size.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer) -> Progress {
        guard !bad else { return Progress(bad: true) }
        switch wireProtocol {
        case .greeting: return receiveGreeting(bytes)
        case .request: return receiveResponses(count: bytes.count)
        }
    }

    /// Called by the driver when the server closes its side (read returned 0).
    public mutating func receiveEnd() -> Ending {
        if bad { return .badResponse }
        switch wireProtocol {
        case .greeting: return received == Greeting.frameLength ? .complete : .closedEarly
        case .request: return outstanding == 0 ? .complete : .closedEarly
        }
    }

    private mutating func receiveGreeting(_ bytes: UnsafeRawBufferPointer) -> Progress {
        var progress = Progress()
        if received == 0 && !bytes.isEmpty { progress.firstBytes = 1 }
        for byte in bytes {
            guard received < Greeting.frameLength else {
                bad = true
                break
            }
            if let expected = Greeting.expectedByte(at: received), expected != byte {
                bad = true
                break
            }
            received += 1
            if received == Greeting.frameLength { progress.completed = 1 }
        }
        progress.bad = bad
        return progress
    }

    private mutating func receiveResponses(count: Int) -> Progress {
        var progress = Progress()
        var left = count
        while left > 0 {
            guard outstanding > 0 else {
                bad = true
                progress.bad = true
                return progress
            }
            if received == 0 { progress.firstBytes += 1 }
            let size = Int(ring[head])
            let take = min(left, size - received)
            received += take
            left -= take
            if received == size {
                received = 0
                head = (head + 1) % pipelineDepth
                outstanding -= 1
                progress.completed += 1
            }
        }
        return progress
    }
}
