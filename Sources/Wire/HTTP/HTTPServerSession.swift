/// HTTP's server side: requests parsed byte by byte as they stream by (``HTTPRequestParser``, which keeps no bytes),
/// answered in order from a ring of at most ``ServerSessionLimits/pendingAnswers`` parsed heads; heads, the greeting
/// body and error bodies are rendered into the session's scratch space, random bodies are slices of the pool.
final class HTTPServerSession: ServerSession {
    /// Scratch space for heads, greeting bodies and error bodies not yet sent.
    static let scratchCapacity = 8192

    private let settings: ServerSessionSettings
    private let pool: RandomPool
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: scratchCapacity, alignment: 16)
    private var scratchEnd = 0
    private var output = OutputPieces()
    private var parser = HTTPRequestParser()
    /// The responses parsed but not yet rendered, a ring.
    private var pending = Array(
        repeating: HTTPResponseHead(status: .ok, body: .greeting, omitsBody: false, closes: false, saysKeepAlive: false),
        count: ServerSessionLimits.pendingAnswers)
    private var pendingHead = 0
    private var pendingCount = 0
    /// Random body bytes of the response being rendered that are not yet in a piece.
    private var bodyLeft = 0
    private var date = HTTPDate()
    private var inputEnded = false
    /// A response that closes the connection is queued: what comes after it is not read.
    private var answeredLast = false
    /// That response refuses a request the client did not expect to end the connection (400, 431, ...).
    private var refusedLast = false
    /// The response that closes is rendered: the connection closes once it is out.
    private var closeAfterOutput = false
    /// Draws each request's work (`--work`).
    private var workRandom = WyRand()

    init(_ settings: ServerSessionSettings) {
        self.settings = settings
        pool = settings.pool!
    }

    deinit {
        scratch.deallocate()
        output.deallocate()
    }

    func reset() {
        output.reset()
        scratchEnd = 0
        parser = HTTPRequestParser()
        pendingHead = 0
        pendingCount = 0
        bodyLeft = 0
        inputEnded = false
        answeredLast = false
        refusedLast = false
        closeAfterOutput = false
    }

    var wantsInput: Bool {
        !closeAfterOutput && !inputEnded && !answeredLast && pendingCount < ServerSessionLimits.pendingAnswers
    }

    var owesNothing: Bool { output.isEmpty && pendingCount == 0 && bodyLeft == 0 }
    var isFinished: Bool { owesNothing && (closeAfterOutput || inputEnded) }
    var isMidRequest: Bool { parser.isMidRequest }
    var requestsBegun: Int { parser.requestsBegun }
    var lingers: Bool { refusedLast }

    // MARK: Input

    func receive(_ bytes: UnsafeRawBufferPointer) -> SessionInput {
        guard !closeAfterOutput && !answeredLast else { return SessionInput(consumed: bytes.count) }
        var received = SessionInput()
        var index = 0
        while index < bytes.count && pendingCount < ServerSessionLimits.pendingAnswers {
            let (end, event) = parser.parse(bytes, from: index)
            index = end
            switch event {
            case nil:
                continue
            case .head(let head):
                let response = respond(to: head)
                if response.status != .ok {
                    received.protocolErrors += 1
                } else if !head.work.isNone {
                    received.work.add(head.work)  // the request's own query, before the server's --work
                } else if !settings.work.isNone {
                    received.work.add(settings.work.draw(using: &workRandom))
                }
                enqueue(response)
                if response.closes {
                    received.consumed = bytes.count
                    return received
                }
            case .error(let status):
                received.protocolErrors += 1
                enqueue(HTTPResponseHead(status: status, body: .reason, omitsBody: false, closes: true,
                                         saysKeepAlive: false))
                received.consumed = bytes.count
                return received
            }
        }
        received.consumed = index
        return received
    }

    /// What was asked is still answered, then the connection closes.
    func receiveEnd() -> SessionInput {
        inputEnded = true
        return SessionInput()
    }

    /// The answer to a request head the parser accepted.
    private func respond(to head: HTTPRequestHead) -> HTTPResponseHead {
        let routed = HTTPResponseHead.route(head.method, head.target, maxRequestBytes: settings.maxRequestBytes)
        var status = routed.status
        // A request body larger than the largest answer is refused before it is read (nginx's
        // client_max_body_size): reading a huge body a byte at a time would hold the connection as long as the client
        // likes. Nothing after it can be read, so the connection closes.
        let bodyTooLarge = head.bodyLength > UInt64(settings.maxRequestBytes)
        if bodyTooLarge { status = .contentTooLarge }
        let keepAlive = head.keepAlive && !status.closes && !bodyTooLarge
        return HTTPResponseHead(
            status: status, body: routed.body, omitsBody: head.method == .head, closes: !keepAlive,
            saysKeepAlive: keepAlive && head.isHTTP10)
    }

    private func enqueue(_ response: HTTPResponseHead) {
        pending[(pendingHead + pendingCount) % ServerSessionLimits.pendingAnswers] = response
        pendingCount += 1
        if response.closes {
            answeredLast = true
            refusedLast = response.status != .ok
        }
    }

    // MARK: Output

    func gather(using random: inout WyRand) -> UnsafeBufferPointer<UnsafeRawBufferPointer> {
        output.makeRoom(for: 1)
        while true {
            while bodyLeft > 0 && output.room > 0 {
                let slice = pool.slice(min(bodyLeft, pool.maxSlice), using: &random)
                bodyLeft -= slice.count
                output.append(slice, completing: bodyLeft == 0 ? 1 : 0)
            }
            // Room for a whole head and a greeting or error body, and a piece for them.
            guard bodyLeft == 0, !closeAfterOutput, pendingCount > 0, output.room > 0,
                Self.scratchCapacity - scratchEnd >= HTTPResponseHead.capacity + Greeting.frameLength
            else { return output.unsent }
            let response = pending[pendingHead]
            pendingHead = (pendingHead + 1) % ServerSessionLimits.pendingAnswers
            pendingCount -= 1
            let headStart = scratchEnd
            scratchEnd = response.write(into: scratch, at: scratchEnd, date: date.current())
            if !response.omitsBody {
                switch response.body {
                case .greeting:
                    Greeting.write(
                        into: UnsafeMutableRawBufferPointer(rebasing: scratch[scratchEnd...]), using: &random)
                    scratchEnd += Greeting.frameLength
                case .reason:
                    scratchEnd = response.writeReason(into: scratch, at: scratchEnd)
                case .random(let n):
                    bodyLeft = n
                }
            }
            output.appendJoining(
                UnsafeRawBufferPointer(rebasing: scratch[headStart..<scratchEnd]), completing: bodyLeft == 0 ? 1 : 0)
            if response.closes {
                closeAfterOutput = true
                pendingCount = 0
            }
        }
    }

    func advance(_ byteCount: Int) -> Int {
        let (completed, drained) = output.advance(byteCount)
        if drained { scratchEnd = 0 }
        return completed
    }
}
