/// The server's side of one connection, sans I/O, in every protocol: a model feeds it the bytes it reads and gathers
/// from it the bytes it owes, as pieces to hand to the socket (writev) or the channel; it says when to read and when
/// to close. A model therefore decides only how connections are scheduled; what is said on them is written here once.
///
/// Output pieces point into this session's own scratch space (HTTP heads, greeting frames, error bodies, multiplex
/// frame heads, echoed bytes) or into the server's ``RandomPool`` (response bytes): nothing is allocated per request,
/// and a response of any size costs no copy. What a client may make a session hold is bounded: a request-protocol
/// session owes a count of bytes; an HTTP or multiplex session queues at most ``pendingLimit`` responses, and an echo
/// session holds at most ``echoCapacity`` bytes, before it stops taking input until the client reads what it owes.
///
/// A model keeps one session per connection slot and calls ``reset()`` for each new connection.
public final class ServerSession {
    public struct Configuration: Sendable {
        public var wireProtocol: WireProtocol
        /// Largest n a request may ask for (request: larger closes the connection; HTTP: larger is answered 413).
        public var maxRequestBytes: UInt32
        /// Where response bytes come from; nil for the greeting protocol, whose frames carry their own.
        public var pool: RandomPool?

        public init(wireProtocol: WireProtocol, maxRequestBytes: UInt32, pool: RandomPool?) {
            precondition(wireProtocol == .greeting || pool != nil, "\(wireProtocol) responses need a pool")
            self.wireProtocol = wireProtocol
            self.maxRequestBytes = maxRequestBytes
            self.pool = pool
        }
    }

    /// What a chunk of input did.
    public struct Received: Equatable, Sendable {
        /// Bytes taken; fewer than given when the session stopped (``wantsInput`` turned false): the model keeps
        /// the rest and offers it again once the output has drained.
        public var consumed = 0
        /// Requests refused: in the request and multiplex protocols n = 0, n > max or a half-close inside a header
        /// (the connection closes at once); in HTTP, those answered with a 4xx or 5xx status.
        public var protocolErrors = 0
        /// Responses completed with no byte left to send: an echo whose last byte was out before the client's end.
        public var completed = 0

        public init(consumed: Int = 0, protocolErrors: Int = 0, completed: Int = 0) {
            self.consumed = consumed
            self.protocolErrors = protocolErrors
            self.completed = completed
        }
    }

    /// HTTP or multiplex responses queued at most before the session stops reading a client that pipelines without
    /// reading.
    public static let pendingLimit = 32
    /// Echo: bytes read and not yet sent, at most; a model's read buffer (64 KiB) is taken whole.
    public static let echoCapacity = 1 << 16
    /// Multiplex: frames are rendered no further ahead of the socket than this, so that a small answer that arrives
    /// later is not queued behind a MiB of frames already gathered.
    public static let multiplexAhead = 16 * MultiplexFrame.maxPayload
    /// Output pieces gathered at most at once (a writev takes up to 1,024); a greeting needs one.
    public static let pieceLimit = 64
    private let pieceCapacity: Int
    /// Scratch space for heads, greeting frames and error bodies not yet sent.
    static let scratchCapacity = 8192

    public let configuration: Configuration
    private let scratch: UnsafeMutableRawBufferPointer
    private var scratchEnd = 0
    /// Output pieces not yet handed to the socket: `pieces[first..<count]`; `ends[i]` responses complete with piece i.
    private let pieces: UnsafeMutablePointer<UnsafeRawBufferPointer>
    private let ends: UnsafeMutablePointer<Int>
    private var first = 0
    private var count = 0
    /// Set when the connection must close once the pieces are sent; `closeNow` when it must close at once.
    private var closeAfterOutput = false
    private var closeNow = false
    private var inputEnded = false
    /// HTTP: a response that closes the connection is queued; what comes after it is not read.
    private var answeredLast = false
    /// HTTP: that response refuses a request the client did not expect to end the connection (400, 431, ...).
    private var refusedLast = false

    // Greeting: whether the frame is still to be rendered.
    private var greetingOwed = false
    // Request and multiplex: the header being read; request: bytes owed but not yet rendered, and the requests they
    // answer.
    private var header: UInt64 = 0
    private var headerBytes = 0
    private var owedBytes = 0
    private var unanswered = 0
    // HTTP: the parser and the responses parsed but not yet rendered (a ring).
    private var parser = HTTPRequestParser()
    private var pending: [HTTPResponseHead]
    private var pendingHead = 0
    private var pendingCount = 0
    /// Random body bytes of the response being rendered that are not yet in a piece.
    private var bodyLeft = 0
    private var date = HTTPDate()
    // Multiplex: the responses owed, a ring in round-robin order: ids and bytes still to frame.
    private var owedIDs: [UInt32]
    private var owedLeft: [Int]
    private var owedHead = 0
    private var owedCount = 0
    // Echo: bytes at the end of the scratch space read but not yet in a piece; whether any byte came at all.
    private var echoHeld = 0
    private var echoedAny = false

    public init(_ configuration: Configuration) {
        self.configuration = configuration
        let http = configuration.wireProtocol == .http
        let scratchBytes = switch configuration.wireProtocol {
        case .http: Self.scratchCapacity
        case .echo: Self.echoCapacity
        case .multiplex: 1024  // frame heads: 128 between two moments when every piece is sent
        case .greeting, .request: Greeting.frameLength
        }
        scratch = .allocate(byteCount: scratchBytes, alignment: 16)
        pieceCapacity = configuration.wireProtocol == .greeting ? 1 : Self.pieceLimit
        pieces = .allocate(capacity: pieceCapacity)
        ends = .allocate(capacity: pieceCapacity)
        pending = http
            ? Array(repeating: HTTPResponseHead(status: .ok, body: .greeting, omitsBody: false, closes: false,
                                                saysKeepAlive: false), count: Self.pendingLimit)
            : []
        let multiplex = configuration.wireProtocol == .multiplex
        owedIDs = Array(repeating: 0, count: multiplex ? Self.pendingLimit : 0)
        owedLeft = Array(repeating: 0, count: multiplex ? Self.pendingLimit : 0)
        reset()
    }

    deinit {
        scratch.deallocate()
        pieces.deallocate()
        ends.deallocate()
    }

    /// Called by a model when a new connection starts on this session: nothing owed, nothing read.
    public func reset() {
        scratchEnd = 0
        first = 0
        count = 0
        closeAfterOutput = false
        closeNow = false
        inputEnded = false
        answeredLast = false
        refusedLast = false
        greetingOwed = configuration.wireProtocol == .greeting
        header = 0
        headerBytes = 0
        owedBytes = 0
        unanswered = 0
        parser = HTTPRequestParser()
        pendingHead = 0
        pendingCount = 0
        bodyLeft = 0
        owedHead = 0
        owedCount = 0
        echoHeld = 0
        echoedAny = false
    }

    // MARK: State

    /// Whether the model should read from the client now: not while output it owes is waiting (so a client that
    /// does not read its answers is not read from either), nor once the conversation is ending.
    public var wantsInput: Bool {
        guard !closeNow && !closeAfterOutput && !inputEnded && !answeredLast else { return false }
        switch configuration.wireProtocol {
        case .greeting: return false
        case .request: return owedBytes == 0 && first == count
        case .http: return pendingCount < Self.pendingLimit
        case .multiplex: return owedCount < Self.pendingLimit
        case .echo: return scratchEnd < Self.echoCapacity
        }
    }

    /// Whether the model should close the connection now: everything owed has been handed over and the
    /// conversation is over, or the client broke the protocol and nothing more is sent.
    public var isFinished: Bool {
        if closeNow { return true }
        return owesNothing && (closeAfterOutput || inputEnded || configuration.wireProtocol == .greeting)
    }

    /// Whether every byte asked for so far has been handed over: the connection waits on the client.
    public var owesNothing: Bool {
        first == count && owedBytes == 0 && pendingCount == 0 && bodyLeft == 0 && !greetingOwed && owedCount == 0
            && echoHeld == 0
    }

    /// HTTP: a request has begun and is not whole (head and body). A model closes a client that stays here longer
    /// than its read timeout of the request's first byte (a slowloris) and counts it apart.
    public var isMidRequest: Bool { configuration.wireProtocol == .http && parser.isMidRequest }

    /// HTTP: the connection closes after refusing a request, while the client may still be sending (what it
    /// pipelined behind it). A model then closes in two steps, as nginx's lingering close does: its side first, then,
    /// once the client's rest has been read and dropped or a moment has passed, the whole; a close with unread bytes
    /// would send a reset that can destroy the answer before the client reads it.
    public var lingers: Bool { refusedLast }

    /// HTTP: requests begun on this connection; a model times each one from when this count moved.
    public var requestsBegun: Int { parser.requestsBegun }

    // MARK: Input

    /// Called by a model with every chunk it reads, of any size.
    public func receive(_ bytes: UnsafeRawBufferPointer) -> Received {
        guard !closeNow && !closeAfterOutput && !answeredLast else { return Received(consumed: bytes.count) }
        switch configuration.wireProtocol {
        case .greeting: return Received(consumed: bytes.count)  // a greeting client has nothing to say
        case .request: return receiveRequests(bytes)
        case .http: return receiveHTTP(bytes)
        case .multiplex: return receiveMultiplex(bytes)
        case .echo: return receiveEcho(bytes)
        }
    }

    /// Called by a model when the client half-closes (read returned 0): what was asked is still answered, then the
    /// connection closes; a request or multiplex header cut short is a protocol error and closes it at once. An echo
    /// is whole once its last byte is out: now, if it is out already.
    public func receiveEnd() -> Received {
        inputEnded = true
        if configuration.wireProtocol == .echo && echoedAny && echoHeld == 0 {
            guard first < count else { return Received(completed: 1) }
            ends[count - 1] += 1
        }
        let framed = configuration.wireProtocol == .request || configuration.wireProtocol == .multiplex
        guard framed, headerBytes > 0, !closeNow else {
            return Received()
        }
        closeNow = true
        return Received(protocolErrors: 1)
    }

    private func receiveRequests(_ bytes: UnsafeRawBufferPointer) -> Received {
        for byte in bytes {
            header = header << 8 | UInt64(byte)
            headerBytes += 1
            guard headerBytes == RequestHeader.length else { continue }
            let size = UInt32(truncatingIfNeeded: header)
            header = 0
            headerBytes = 0
            guard size >= 1 && size <= configuration.maxRequestBytes else {
                closeNow = true
                return Received(consumed: bytes.count, protocolErrors: 1)
            }
            owedBytes += Int(size)
            unanswered += 1
        }
        return Received(consumed: bytes.count)
    }

    private func receiveMultiplex(_ bytes: UnsafeRawBufferPointer) -> Received {
        var index = 0
        while index < bytes.count && owedCount < Self.pendingLimit {
            header = header << 8 | UInt64(bytes[index])
            headerBytes += 1
            index += 1
            guard headerBytes == MultiplexFrame.requestLength else { continue }
            let (id, size) = (UInt32(truncatingIfNeeded: header >> 32), UInt32(truncatingIfNeeded: header))
            header = 0
            headerBytes = 0
            guard size >= 1 && size <= configuration.maxRequestBytes else {
                closeNow = true
                return Received(consumed: bytes.count, protocolErrors: 1)
            }
            let tail = (owedHead + owedCount) % Self.pendingLimit
            owedIDs[tail] = id
            owedLeft[tail] = Int(size)
            owedCount += 1
        }
        return Received(consumed: index)
    }

    /// Copies what fits behind the bytes held; they go out in order, as pieces of the scratch space.
    private func receiveEcho(_ bytes: UnsafeRawBufferPointer) -> Received {
        let take = min(bytes.count, Self.echoCapacity - scratchEnd)
        guard take > 0 else { return Received() }
        (scratch.baseAddress! + scratchEnd).copyMemory(from: bytes.baseAddress!, byteCount: take)
        scratchEnd += take
        echoHeld += take
        echoedAny = true
        return Received(consumed: take)
    }

    private func receiveHTTP(_ bytes: UnsafeRawBufferPointer) -> Received {
        var received = Received()
        var index = 0
        while index < bytes.count && pendingCount < Self.pendingLimit {
            let (end, event) = parser.parse(bytes, from: index)
            index = end
            switch event {
            case nil:
                continue
            case .head(let head):
                let response = respond(to: head)
                if response.status != .ok { received.protocolErrors += 1 }
                enqueue(response)
                if response.closes { return Received(consumed: bytes.count, protocolErrors: received.protocolErrors) }
            case .error(let status):
                received.protocolErrors += 1
                enqueue(HTTPResponseHead(status: status, body: .reason, omitsBody: false, closes: true,
                                         saysKeepAlive: false))
                return Received(consumed: bytes.count, protocolErrors: received.protocolErrors)
            }
        }
        received.consumed = index
        return received
    }

    /// The answer to a request head the parser accepted.
    private func respond(to head: HTTPRequestHead) -> HTTPResponseHead {
        var status = HTTPStatus.ok
        var body = HTTPResponseHead.Body.reason
        switch (head.method, head.target) {
        case (.other, _): status = .methodNotAllowed
        case (_, .other): status = .notFound
        case (_, .badCount): status = .badRequest
        case (_, .root): body = .greeting
        case (_, .bytes(let n)):
            if n > UInt64(configuration.maxRequestBytes) { status = .contentTooLarge } else { body = .random(Int(n)) }
        }
        // A request body larger than the largest answer is refused before it is read (nginx's
        // client_max_body_size): reading a huge body a byte at a time would hold the connection as long as the client
        // likes. Nothing after it can be read, so the connection closes.
        let bodyTooLarge = head.bodyLength > UInt64(configuration.maxRequestBytes)
        if bodyTooLarge { status = .contentTooLarge }
        let keepAlive = head.keepAlive && !status.closes && !bodyTooLarge
        return HTTPResponseHead(
            status: status, body: body, omitsBody: head.method == .head, closes: !keepAlive,
            saysKeepAlive: keepAlive && head.isHTTP10)
    }

    private func enqueue(_ response: HTTPResponseHead) {
        pending[(pendingHead + pendingCount) % Self.pendingLimit] = response
        pendingCount += 1
        if response.closes {
            answeredLast = true
            refusedLast = response.status != .ok
        }
    }

    // MARK: Output

    /// The bytes owed now, in order, as pieces to hand to the socket; empty when nothing is owed until more input
    /// comes. The pieces stay valid until the next ``advance(_:)`` or ``reset()``.
    public func gather(using random: inout WyRand) -> UnsafeBufferPointer<UnsafeRawBufferPointer> {
        if !closeNow { render(using: &random) }
        return UnsafeBufferPointer(start: pieces + first, count: count - first)
    }

    /// Called by a model with how many of the gathered bytes the socket (or channel) took; returns how many
    /// responses were thereby handed over whole.
    public func advance(_ byteCount: Int) -> Int {
        var left = byteCount
        var completed = 0
        while left > 0 && first < count {
            let piece = pieces[first]
            if left < piece.count {
                pieces[first] = UnsafeRawBufferPointer(rebasing: piece[left...])
                break
            }
            left -= piece.count
            completed += ends[first]
            first += 1
        }
        if first == count {
            first = 0
            count = 0
            // Echoed bytes read since the last gather move to the front.
            if echoHeld > 0 {
                scratch.baseAddress!.copyMemory(from: scratch.baseAddress! + scratchEnd - echoHeld, byteCount: echoHeld)
            }
            scratchEnd = echoHeld
        }
        return completed
    }

    /// Renders what is owed into pieces while there is room for them.
    private func render(using random: inout WyRand) {
        // A multiplex frame takes two pieces: make room before the last one is taken.
        if first > 0 && count + 2 > pieceCapacity { compact() }
        switch configuration.wireProtocol {
        case .greeting:
            guard greetingOwed, count < pieceCapacity else { return }
            Greeting.write(into: scratch, using: &random)
            append(UnsafeRawBufferPointer(rebasing: scratch[0..<Greeting.frameLength]), completing: 1)
            scratchEnd = Greeting.frameLength
            greetingOwed = false
        case .request:
            let pool = configuration.pool!
            while owedBytes > 0 && count < pieceCapacity {
                let slice = pool.slice(min(owedBytes, pool.maxSlice), using: &random)
                owedBytes -= slice.count
                append(slice, completing: owedBytes == 0 ? unanswered : 0)
                if owedBytes == 0 { unanswered = 0 }
            }
        case .http:
            renderHTTP(using: &random)
        case .multiplex:
            renderFrames(using: &random)
        case .echo:
            guard echoHeld > 0, count < pieceCapacity else { return }
            appendScratch(from: scratchEnd - echoHeld, completing: inputEnded ? 1 : 0)
            echoHeld = 0
        }
    }

    /// One frame of the oldest owed response at a time, which then goes to the back of the ring if it has more: the
    /// round-robin that lets small answers overtake large ones.
    private func renderFrames(using random: inout WyRand) {
        let pool = configuration.pool!
        var ahead = 0
        for index in first..<count { ahead += pieces[index].count }
        while owedCount > 0 && count + 2 <= pieceCapacity && scratchEnd + MultiplexFrame.headerLength <= scratch.count
            && ahead < Self.multiplexAhead
        {
            let id = owedIDs[owedHead]
            let left = owedLeft[owedHead]
            let length = min(left, MultiplexFrame.maxPayload)
            owedHead = (owedHead + 1) % Self.pendingLimit
            owedCount -= 1
            if left > length {
                let tail = (owedHead + owedCount) % Self.pendingLimit
                owedIDs[tail] = id
                owedLeft[tail] = left - length
                owedCount += 1
            }
            MultiplexFrame.write(id, UInt32(length), into: scratch, at: scratchEnd)
            append(UnsafeRawBufferPointer(rebasing: scratch[scratchEnd..<(scratchEnd + MultiplexFrame.headerLength)]),
                completing: 0)
            scratchEnd += MultiplexFrame.headerLength
            append(pool.slice(length, using: &random), completing: left == length ? 1 : 0)
            ahead += MultiplexFrame.headerLength + length
        }
    }

    private func renderHTTP(using random: inout WyRand) {
        let pool = configuration.pool!
        while true {
            while bodyLeft > 0 && count < pieceCapacity {
                let slice = pool.slice(min(bodyLeft, pool.maxSlice), using: &random)
                bodyLeft -= slice.count
                append(slice, completing: bodyLeft == 0 ? 1 : 0)
            }
            // Room for a whole head and a greeting or error body, and a piece for them.
            guard bodyLeft == 0, !closeAfterOutput, pendingCount > 0, count < pieceCapacity,
                Self.scratchCapacity - scratchEnd >= HTTPResponseHead.capacity + Greeting.frameLength
            else { return }
            let response = pending[pendingHead]
            pendingHead = (pendingHead + 1) % Self.pendingLimit
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
            appendScratch(from: headStart, completing: bodyLeft == 0 ? 1 : 0)
            if response.closes {
                closeAfterOutput = true
                pendingCount = 0
            }
        }
    }

    /// Appends the scratch bytes from `start` to the end, joining them to the last piece when that one ends there in
    /// the scratch space (a head written right after the previous response's head and body goes out in the same
    /// piece); the joined piece completes both responses.
    private func appendScratch(from start: Int, completing responses: Int) {
        let bytes = UnsafeRawBufferPointer(rebasing: scratch[start..<scratchEnd])
        if count > first, let base = pieces[count - 1].baseAddress, base >= UnsafeRawPointer(scratch.baseAddress!),
            base + pieces[count - 1].count == bytes.baseAddress
        {
            pieces[count - 1] = UnsafeRawBufferPointer(start: base, count: pieces[count - 1].count + bytes.count)
            ends[count - 1] += responses
            return
        }
        append(bytes, completing: responses)
    }

    private func append(_ piece: UnsafeRawBufferPointer, completing responses: Int) {
        pieces[count] = piece
        ends[count] = responses
        count += 1
    }

    /// Moves the unsent pieces to the front, to make room behind them.
    private func compact() {
        let unsent = count - first
        for index in 0..<unsent {
            pieces[index] = pieces[first + index]
            ends[index] = ends[first + index]
        }
        first = 0
        count = unsent
    }
}
