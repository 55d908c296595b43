import CNGHTTP2

/// HTTP/2's server side (h2c, prior knowledge): libnghttp2 reads the frames and keeps the streams, HPACK and flow
/// control; this session routes each request as HTTP/1.1 does (``HTTPPath``, ``HTTPResponseHead/route``) and hands
/// nghttp2's output to the model as pieces. DATA frames are not copied: nghttp2 lays each frame's 9-byte head
/// (`NGHTTP2_DATA_FLAG_NO_COPY`), which goes into scratch space, and the payload is a slice of the pool, as HTTP/1.1's
/// bodies are. Anything else nghttp2 serializes (SETTINGS, HEADERS, WINDOW_UPDATE, GOAWAY) is copied into the scratch.
///
/// A frame that breaks the protocol is nghttp2's to answer: it sends GOAWAY (or RST_STREAM for one stream) and the
/// session closes once that is out. A client that makes the server work for nothing (``HTTP2Abuse``) is answered
/// GOAWAY ENHANCE_YOUR_CALM, and so are the floods nghttp2 itself detects. Callbacks never trap: what they cannot do
/// they refuse with nghttp2's error codes.
final class HTTP2ServerSession: HTTP2Endpoint, ServerSession {
    /// Scratch space for copied frames and DATA heads between two moments when every piece is sent.
    static let scratchCapacity = 64 * 1024
    /// DATA is laid no further ahead of the socket than this, as in multiplex: a small answer that comes later is not
    /// queued behind a MiB of frames already gathered; the socket's unsent limit is the same. Four frames: on a slow
    /// link a small answer waits behind little, while on loopback a large answer's wakeups, one each time the socket
    /// drains, cost nothing measurable (two frames cost some: docs/performance.md, "Head-of-line blocking on a slow
    /// link").
    static let renderedAhead = 4 * 16 * 1024

    /// One request stream: what it asked for, and its answer's body while that is sent.
    private struct Stream {
        var method = HTTPRequestHead.Method.other
        /// Nil until `:path` came, or when it is one HTTP/1.1 answers 400.
        var route: (target: HTTPRequestHead.Target, work: RequestWork)?
        var body = HTTPResponseHead.Body.reason
        var status = HTTPStatus.ok
        /// Body bytes not yet handed to nghttp2.
        var left = 0
        /// The answer is submitted and its last frame not yet out.
        var owed = false
        /// The header list's size so far (``HTTP2Abuse/maxHeaderListBytes``).
        var headerBytes = 0
    }

    private let settings: ServerSessionSettings
    private let pool: RandomPool
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: scratchCapacity, alignment: 16)
    private var scratchEnd = 0
    private var output = OutputPieces()
    private var date = HTTPDate()
    private var streams: [Int32: Stream] = [:]
    /// A chunk of nghttp2's own buffer is among the pieces (it did not fit the scratch): it stays valid only until the
    /// next `nghttp2_session_mem_send`, so none is made until every piece is out.
    private var holdsLentChunk = false
    /// Bytes gathered and not yet sent, kept as pieces are appended.
    private var ahead = 0
    /// Answers whose last frame went out after every earlier piece was already sent: counted at the next advance.
    private var completedUnplaced = 0
    /// Answers submitted whose last frame is not yet out.
    private var owed = 0
    /// Requests whose HEADERS came and whose END_STREAM has not (``isMidRequest``).
    private var open = 0
    /// Whether the input stops inside the preface or a frame (``isMidRequest``).
    private var edges = HTTP2FrameEdges()
    /// Times the connection went from nothing begun to something begun (``isMidRequest``): the models time each from
    /// its first byte, so streams and frames that follow one another while it lasts do not restart the clock, and a
    /// client dripping small frames into an open request meets the read timeout as an HTTP/1.1 slowloris does.
    private(set) var requestsBegun = 0
    private var inputEnded = false
    private var failed = false
    private var abuse = HTTP2Abuse()
    /// The connection is ending with an error of the server's choosing (abuse, a flood): counted once.
    private var terminated = false
    /// The server is stopping: GOAWAY NO_ERROR is queued, and the streams open then are finished.
    private var stopping = false
    /// What the input being received did, filled by nghttp2's callbacks.
    private var received = SessionInput()
    /// The model's generator, for the pool's offsets, while ``gather(using:)`` runs.
    private var random: UnsafeMutablePointer<WyRand>?
    /// Draws each request's work (`--work`).
    private var workRandom = WyRand()

    init(_ settings: ServerSessionSettings) {
        self.settings = settings
        pool = settings.pool!
        super.init()
        start()
    }

    deinit {
        scratch.deallocate()
        output.deallocate()
    }

    /// A new nghttp2 session with the server's SETTINGS queued, the first frame it sends.
    private func start() {
        nghttp2_session_server_new(&session, HTTP2Callbacks.server, Unmanaged.passUnretained(self).toOpaque())
        var entries = [
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: settings.maxStreams),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue),
                value: UInt32(HTTP2Abuse.maxHeaderListBytes)),
        ]
        nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count)
    }

    func reset() {
        nghttp2_session_del(session)
        session = nil
        output.reset()
        streams.removeAll(keepingCapacity: true)
        (scratchEnd, ahead, completedUnplaced, owed, open, requestsBegun) = (0, 0, 0, 0, 0, 0)
        (holdsLentChunk, inputEnded, failed, terminated, stopping) = (false, false, false, false, false)
        edges.reset()
        abuse.reset()
        start()
    }

    /// Input is read while answers are still going out, as in multiplex: a request that comes in the middle of a
    /// large answer is taken at once and its frames interleaved with the rest, rather than left unread until that
    /// answer is all in the socket (HTTP/1.1's head-of-line wait again). What a client that does not read can make
    /// the session hold stays bounded: at most ``ServerSessionLimits/pendingAnswers`` answers owed while output
    /// waits, the streams nghttp2 allows, and acknowledgements cut off by ``HTTP2Abuse``. A chunk nghttp2 lent is out
    /// first: receiving may reuse its buffer.
    var wantsInput: Bool {
        !inputEnded && !failed && !holdsLentChunk && (output.isEmpty || owed < ServerSessionLimits.pendingAnswers)
            && nghttp2_session_want_read(session) != 0
    }
    var owesNothing: Bool { output.isEmpty && owed == 0 && nghttp2_session_want_write(session) == 0 }
    var isFinished: Bool {
        output.isEmpty && nghttp2_session_want_write(session) == 0
            && (failed || nghttp2_session_want_read(session) == 0 || (inputEnded && owed == 0))
    }
    /// A request begun and not whole, or input that stops inside the preface or a frame: the model times it from its
    /// first byte.
    var isMidRequest: Bool { open > 0 || edges.isInside }
    /// Finished before the client's end (after a GOAWAY either way), the client may still be sending: its ACKs and
    /// WINDOW_UPDATEs, unread, would make the close a reset that can destroy the last answer before it is read (nginx
    /// closes h2 connections lingering for the same reason).
    var lingers: Bool { !inputEnded }

    // MARK: Input

    func receive(_ bytes: UnsafeRawBufferPointer) -> SessionInput {
        guard !failed, let base = bytes.baseAddress else { return SessionInput(consumed: bytes.count) }
        received = SessionInput()
        let wasMidRequest = isMidRequest
        defer { if !wasMidRequest && isMidRequest { requestsBegun += 1 } }
        edges.scan(bytes)
        let read = nghttp2_session_mem_recv(session, base.assumingMemoryBound(to: UInt8.self), bytes.count)
        if read < 0 {
            // A bad preface or a flood: no GOAWAY is queued for it yet; the session closes once this one is out.
            // (For a bad frame nghttp2 queues GOAWAY itself and reads no more once it is sent.)
            failed = true
            let flood = read == Int(NGHTTP2_ERR_FLOODED.rawValue) || read == Int(NGHTTP2_ERR_TOO_MANY_CONTINUATIONS.rawValue)
            terminate(flood ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR)
        }
        received.consumed = bytes.count
        return received
    }

    /// Ends the connection with GOAWAY `code` once what is queued is out; counted as one protocol error.
    private func terminate(_ code: nghttp2_error_code) {
        guard !terminated else { return }
        terminated = true
        received.protocolErrors += 1
        nghttp2_session_terminate_session(session, code.rawValue)
    }

    /// The server is stopping: GOAWAY NO_ERROR naming the last stream nghttp2 took, so that the client knows which
    /// requests were seen; those streams are still answered, then the session finishes (nghttp2 wants no more
    /// input once GOAWAY is out and no stream is open).
    func beginStop() {
        guard !stopping, !failed, !terminated else { return }
        stopping = true
        nghttp2_submit_goaway(
            session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nghttp2_session_get_last_proc_stream_id(session),
            NGHTTP2_NO_ERROR.rawValue, nil, 0)
    }

    /// What was asked is still answered, then the connection closes. No GOAWAY: the end of the stream is most often a
    /// client that closed outright once answered (h2load, bench drive), whose kernel would answer it with a reset.
    func receiveEnd() -> SessionInput {
        inputEnded = true
        return SessionInput()
    }

    /// A frame nghttp2 answers with RST_STREAM or GOAWAY (a frame too large for any stream, it answers without a word).
    fileprivate func invalidFrame() {
        received.protocolErrors += 1
    }

    fileprivate func beginRequest(_ streamID: Int32) {
        streams[streamID] = Stream()
        open += 1
        abuse.requestBegun()
    }

    /// A frame the client sent for no request of its own: a reset, a PING or SETTINGS to acknowledge.
    fileprivate func idleFrame(reset: Bool) {
        if reset ? abuse.clientReset() : abuse.controlFrame() { terminate(NGHTTP2_ENHANCE_YOUR_CALM) }
    }

    override func header(_ streamID: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool {
        guard var stream = streams[streamID] else { return true }
        stream.headerBytes += HTTP2Abuse.fieldBytes(name: name.count, value: value.count)
        guard stream.headerBytes <= HTTP2Abuse.maxHeaderListBytes else {
            // nghttp2 skips the rest of the block's fields: their bytes are decoded but never checked or handed on.
            received.protocolErrors += 1
            nghttp2_submit_rst_stream(
                session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
            return false
        }
        if name.elementsEqual(HTTP2Names.method) {
            stream.method =
                value.elementsEqual(HTTP2Names.get) ? .get : value.elementsEqual(HTTP2Names.head) ? .head : .other
        } else if name.elementsEqual(HTTP2Names.path) {
            stream.route = HTTPPath.read(value)
        }
        streams[streamID] = stream
        return true
    }

    /// The request is whole (its END_STREAM came): answered at once, its work drawn as HTTP/1.1's is.
    fileprivate func requestEnded(_ streamID: Int32) {
        guard var stream = streams[streamID], !stream.owed else { return }
        open -= 1
        if let route = stream.route {
            (stream.status, stream.body) = HTTPResponseHead.route(
                stream.method, route.target, maxRequestBytes: settings.maxRequestBytes)
        } else {
            (stream.status, stream.body) = (.badRequest, .reason)
        }
        if stream.status != .ok {
            received.protocolErrors += 1
        } else if let work = stream.route?.work, !work.isNone {
            received.work.add(work)  // the request's own query, before the server's --work
        } else if !settings.work.isNone {
            received.work.add(settings.work.draw(using: &workRandom))
        }
        let head = HTTPResponseHead(
            status: stream.status, body: stream.body, omitsBody: stream.method == .head, closes: false,
            saysKeepAlive: false)
        stream.left = head.sentBodyLength
        stream.owed = true
        streams[streamID] = stream
        owed += 1
        submit(head, on: streamID)
    }

    private func submit(_ head: HTTPResponseHead, on streamID: Int32) {
        fields.removeAll()
        fields.add(HTTP2Names.status, decimal: head.status.rawValue)
        fields.add(HTTP2Names.server, HTTP2Names.bench)
        fields.add(HTTP2Names.date, date.current())
        if case .random = head.body {
            fields.add(HTTP2Names.contentType, HTTP2Names.octets)
        } else {
            fields.add(HTTP2Names.contentType, HTTP2Names.text)
        }
        fields.add(HTTP2Names.contentLength, decimal: head.bodyLength)
        if head.status == .methodNotAllowed { fields.add(HTTP2Names.allow, HTTP2Names.getHead) }
        guard head.sentBodyLength > 0 else {
            nghttp2_submit_response(session, streamID, fields.list, fields.count, nil)
            return
        }
        var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: HTTP2Callbacks.readBody)
        nghttp2_submit_response(session, streamID, fields.list, fields.count, &provider)
    }

    fileprivate func streamClosed(_ streamID: Int32) {
        guard let stream = streams.removeValue(forKey: streamID) else { return }
        if stream.owed { owed -= 1 } else { open -= 1 }  // reset before its answer was whole, or its request
    }

    // MARK: Output

    func gather(using random: inout WyRand) -> UnsafeBufferPointer<UnsafeRawBufferPointer> {
        guard !holdsLentChunk else { return output.unsent }
        output.makeRoom(for: 4)
        withUnsafeMutablePointer(to: &random) { random in
            self.random = random
            defer { self.random = nil }
            // Each call gives one frame (DATA frames go through ``lay(head:length:)`` on the way).
            while output.room >= 3 && ahead < Self.renderedAhead {
                var chunk: UnsafePointer<UInt8>?
                let length = nghttp2_session_mem_send(session, &chunk)
                guard length > 0, let chunk else {
                    if length < 0 { failed = true }
                    return
                }
                let bytes = UnsafeRawBufferPointer(start: chunk, count: length)
                ahead += length
                guard scratchEnd + length <= scratch.count else {
                    output.append(bytes, completing: 0)
                    holdsLentChunk = true
                    return
                }
                (scratch.baseAddress! + scratchEnd).copyMemory(from: chunk, byteCount: length)
                output.appendJoining(UnsafeRawBufferPointer(rebasing: scratch[scratchEnd..<(scratchEnd + length)]),
                    completing: 0)
                scratchEnd += length
            }
        }
        return output.unsent
    }

    /// How many of the `length` bytes asked for the stream's body nghttp2 may put in the next DATA frame; the last
    /// ends the stream.
    fileprivate func takeBody(_ streamID: Int32, length: Int) -> (count: Int, last: Bool, random: Bool)? {
        guard var stream = streams[streamID] else { return nil }
        let count = min(stream.left, length)
        stream.left -= count
        streams[streamID] = stream
        if case .random = stream.body { return (count, stream.left == 0, true) }
        return (count, stream.left == 0, false)
    }

    /// A greeting or an error's reason, `count` bytes from `offset`, into nghttp2's buffer: bodies of under 100 bytes.
    fileprivate func copyBody(_ streamID: Int32, into buffer: UnsafeMutableRawBufferPointer) {
        guard let stream = streams[streamID] else { return }
        withUnsafeTemporaryAllocation(byteCount: Greeting.frameLength, alignment: 8) { whole in
            let length: Int
            if case .greeting = stream.body {
                Greeting.write(into: whole, using: &workRandom)
                length = Greeting.frameLength
            } else {
                let head = HTTPResponseHead(
                    status: stream.status, body: .reason, omitsBody: false, closes: false, saysKeepAlive: false)
                length = head.writeReason(into: whole, at: 0)
            }
            let offset = length - stream.left - buffer.count
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: whole[offset..<(offset + buffer.count)]))
        }
    }

    /// A DATA frame of `length` bytes of random body: its head copied, its payload a slice of the pool. False when
    /// there is no room for it now (nghttp2 offers it again at the next gather).
    fileprivate func lay(head: UnsafePointer<UInt8>, length: Int) -> Bool {
        guard output.room >= 2, scratchEnd + 9 <= scratch.count, ahead < Self.renderedAhead, let random else {
            return false
        }
        (scratch.baseAddress! + scratchEnd).copyMemory(from: head, byteCount: 9)
        output.appendJoining(UnsafeRawBufferPointer(rebasing: scratch[scratchEnd..<(scratchEnd + 9)]), completing: 0)
        scratchEnd += 9
        var sliced = 0
        while sliced < length {
            let slice = pool.slice(min(length - sliced, pool.maxSlice), using: &random.pointee)
            output.append(slice, completing: 0)
            sliced += slice.count
        }
        ahead += 9 + length
        return true
    }

    /// A frame that ends a stream went out: its answer is whole once the last piece gathered so far is sent.
    fileprivate func answerSent(_ streamID: Int32) {
        guard var stream = streams[streamID], stream.owed else { return }
        stream.owed = false
        streams[streamID] = stream
        owed -= 1
        abuse.answerSent()
        if output.isEmpty { completedUnplaced += 1 } else { output.completeWithLast() }
    }

    func advance(_ byteCount: Int) -> Int {
        var (completed, drained) = output.advance(byteCount)
        ahead -= byteCount
        if drained {
            scratchEnd = 0
            ahead = 0
            holdsLentChunk = false
        }
        completed += completedUnplaced
        completedUnplaced = 0
        return completed
    }

    // MARK: nghttp2's callbacks

    /// The session a callback's user data names.
    fileprivate static func of(_ userData: UnsafeMutableRawPointer?) -> HTTP2ServerSession {
        Unmanaged<HTTP2ServerSession>.fromOpaque(userData!).takeUnretainedValue()
    }
}

/// The server's callbacks, made once: nghttp2 hands each the session's user data, the ``HTTP2ServerSession``.
extension HTTP2Callbacks {
    nonisolated(unsafe) static let server: OpaquePointer = {
        let callbacks = table()
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, frame, userData in
            let frame = frame!.pointee
            if frame.hd.type == UInt8(NGHTTP2_HEADERS.rawValue) && frame.headers.cat == NGHTTP2_HCAT_REQUEST {
                HTTP2ServerSession.of(userData).beginRequest(frame.hd.stream_id)
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            let header = frame!.pointee.hd
            let carriesRequest =
                header.type == UInt8(NGHTTP2_HEADERS.rawValue) || header.type == UInt8(NGHTTP2_DATA.rawValue)
            let asksAck =
                (header.type == UInt8(NGHTTP2_PING.rawValue) || header.type == UInt8(NGHTTP2_SETTINGS.rawValue))
                && header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) == 0
            if carriesRequest && header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0 {
                HTTP2ServerSession.of(userData).requestEnded(header.stream_id)
            } else if asksAck || header.type == UInt8(NGHTTP2_RST_STREAM.rawValue) {
                HTTP2ServerSession.of(userData).idleFrame(reset: !asksAck)
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(callbacks) { _, _, _, userData in
            HTTP2ServerSession.of(userData).invalidFrame()
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks) { _, frame, userData in
            let header = frame!.pointee.hd
            if header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0 {
                HTTP2ServerSession.of(userData).answerSent(header.stream_id)
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, streamID, _, userData in
            HTTP2ServerSession.of(userData).streamClosed(streamID)
            return 0
        }
        nghttp2_session_callbacks_set_send_data_callback(callbacks) { _, frame, head, length, _, userData in
            guard HTTP2ServerSession.of(userData).lay(head: head!, length: length) else {
                return Int32(NGHTTP2_ERR_WOULDBLOCK.rawValue)
            }
            return 0
        }
        return callbacks
    }()

    /// The body of an answer, as nghttp2 asks for each DATA frame's worth: random bodies not copied (the payload is
    /// laid by the send-data callback), the short text ones copied.
    static let readBody: nghttp2_data_source_read_callback = { _, streamID, buffer, length, flags, _, userData in
        let session = HTTP2ServerSession.of(userData)
        guard let (count, last, random) = session.takeBody(streamID, length: length) else {
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        if last { flags!.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue }
        if random {
            flags!.pointee |= NGHTTP2_DATA_FLAG_NO_COPY.rawValue
        } else {
            session.copyBody(streamID, into: UnsafeMutableRawBufferPointer(start: buffer, count: count))
        }
        return count
    }
}
