import CNGHTTP2

/// HTTP/2's client side (h2c, prior knowledge): each request a stream, up to the pipeline depth (`--streams`) and the
/// server's SETTINGS_MAX_CONCURRENT_STREAMS at once; libnghttp2 frames them and reads the answers. A request's place
/// among the outstanding ones rides on its stream (nghttp2's stream user data), so answers may complete in any order.
///
/// The client sends only when the driver writes a request: the preface and SETTINGS go with the first, and what
/// nghttp2 owes the server meanwhile (SETTINGS ACK, WINDOW_UPDATE) with the next. Its windows are 1 GiB, as h2load's
/// are by default, so that no answer waits on a WINDOW_UPDATE the client has not had the chance to send.
///
/// nghttp2 reads a chunk whole and reports what it held through callbacks; the events are queued and handed to the
/// driver one at a time, the chunk's end given with the last of them.
final class HTTP2ClientSession: HTTP2Endpoint, ClientSession {
    /// The windows the client opens, connection and streams: h2load's default (`-w 30 -W 30`).
    static let window: Int32 = (1 << 30) - 1

    private let checksLength: Bool
    /// The request's target around the size, and the header fields every request carries after the pseudo-fields.
    private let pathPrefix: [UInt8]
    private let pathSuffix: [UInt8]
    private let hasSize: Bool
    private let authority: [UInt8]
    private let extraFields: [(name: [UInt8], value: [UInt8])]
    let requestCapacity: Int
    /// The requests outstanding, and each place's stream and its answer's status.
    private var places: RequestPlaces
    private var streams: [Int32]
    private var status: [Int]
    /// Bytes nghttp2 serialized that no request has carried out yet.
    private var unsent: [UInt8] = []
    private var events: [(event: ClientEvent, place: Int)] = []
    private var nextEvent = 0
    private var bad = false
    /// The server sent GOAWAY: no stream may be opened any more; with an error code, the connection failed.
    private(set) var serverCloses = false
    private var goawayError = false
    /// The last stream a graceful GOAWAY said the server processes: those after it it never will.
    private var goawayLastStream = Int32.max
    private(set) var lastRequest = 0
    private(set) var eventRequest = 0

    init(_ settings: ClientSessionSettings) {
        checksLength = settings.checksLength
        let template = settings.template!
        let placeholder = template.path.firstRange(of: HTTPRequestTemplate.sizePlaceholder)
        hasSize = placeholder != nil
        pathPrefix = Array((placeholder.map { template.path[..<$0.lowerBound] } ?? template.path[...]).utf8)
        pathSuffix = Array((placeholder.map { template.path[$0.upperBound...] } ?? "").utf8)
        var authority = Array(template.authority.utf8)
        var extraFields: [(name: [UInt8], value: [UInt8])] = []
        for field in template.fields {
            let colon = field.firstIndex(of: ":")!
            let name = field[..<colon].lowercased()
            let value = Array(field[field.index(after: colon)...].drop { $0 == " " || $0 == "\t" }.utf8)
            // Host is :authority in HTTP/2; connection-specific fields are forbidden there (RFC 9113 §8.2.2).
            if name == "host" {
                authority = value
            } else if !["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"].contains(name) {
                extraFields.append((Array(name.utf8), value))
            }
        }
        self.authority = authority
        self.extraFields = extraFields
        // The first request carries the preface, SETTINGS and the connection's WINDOW_UPDATE; each carries its
        // HEADERS (fields as literals at worst) and what nghttp2 owes beside it (ACKs, WINDOW_UPDATEs).
        let fieldBytes = [HTTP2Names.method, HTTP2Names.get, HTTP2Names.scheme, HTTP2Names.http, HTTP2Names.path,
            pathPrefix, pathSuffix, HTTP2Names.authority, authority].reduce(10) { $0 + $1.count }
            + extraFields.reduce(0) { $0 + $1.name.count + $1.value.count }
        requestCapacity = 24 + 9 + 3 * 6 + 13 + 9 + fieldBytes + 10 * (4 + extraFields.count) + 128
        places = RequestPlaces(depth: settings.pipelineDepth)
        streams = Array(repeating: 0, count: settings.pipelineDepth)
        status = Array(repeating: 0, count: settings.pipelineDepth)
        super.init()
        start()
    }

    /// A new nghttp2 session whose first output is the preface, SETTINGS (no push, 1 GiB stream windows) and the
    /// connection window's WINDOW_UPDATE.
    private func start() {
        nghttp2_session_client_new(&session, HTTP2Callbacks.client, Unmanaged.passUnretained(self).toOpaque())
        var entries = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: UInt32(Self.window)),
        ]
        nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count)
        nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Self.window)
    }

    func reset() {
        nghttp2_session_del(session)
        session = nil
        unsent.removeAll(keepingCapacity: true)
        events.removeAll(keepingCapacity: true)
        (nextEvent, lastRequest, eventRequest) = (0, 0, 0)
        (bad, serverCloses, goawayError, goawayLastStream) = (false, false, false, .max)
        places.reset()
        start()
    }

    var outstanding: Int { places.outstanding }

    var canSend: Bool {
        let allowed = nghttp2_session_get_remote_settings(session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS)
        return !serverCloses && !places.isFull && places.outstanding < Int(allowed)
    }

    /// `last` changes nothing: the client closes the connection once it is answered
    /// (``ProtocolTraits/closesWhenAnswered``).
    func writeRequest(_ size: UInt32, last: Bool, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        precondition(canSend, "request sent beyond the streams allowed")
        lastRequest = places.take(size)
        status[lastRequest] = 0
        fields.removeAll()
        fields.add(HTTP2Names.method, HTTP2Names.get)
        fields.add(HTTP2Names.scheme, HTTP2Names.http)
        fields.add(HTTP2Names.authority, authority)
        withUnsafeTemporaryAllocation(byteCount: pathPrefix.count + 10 + pathSuffix.count, alignment: 1) { path in
            var end = HTTPBytes.put(pathPrefix, into: path, at: 0)
            if hasSize { end = HTTPResponseHead.writeDecimal(Int(size), into: path, at: end) }
            end = HTTPBytes.put(pathSuffix, into: path, at: end)
            fields.add(HTTP2Names.path, UnsafeRawBufferPointer(rebasing: path[..<end]))
        }
        for field in extraFields { fields.add(field.name, field.value) }
        let stream = nghttp2_submit_request(
            session, nil, fields.list, fields.count, nil, UnsafeMutableRawPointer(bitPattern: lastRequest + 1))
        streams[lastRequest] = stream
        if stream < 0 { fail() }  // stream ids used up, after a billion requests on one connection
        return carryOut(into: buffer)
    }

    /// Moves what nghttp2 has to send into `buffer`, at most ``requestCapacity`` bytes; the rest waits for the next
    /// request.
    private func carryOut(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        while true {
            var chunk: UnsafePointer<UInt8>?
            let length = nghttp2_session_mem_send(session, &chunk)
            guard length > 0, let chunk else { break }
            unsent.append(contentsOf: UnsafeBufferPointer(start: chunk, count: length))
        }
        let count = min(unsent.count, requestCapacity, buffer.count)
        unsent.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: count) }
        unsent.removeFirst(count)
        return count
    }

    func next(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (end: Int, event: ClientEvent?) {
        if nextEvent == events.count {
            guard !bad, start < bytes.count else { return (bytes.count, nil) }
            let read = nghttp2_session_mem_recv(
                session, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + start, bytes.count - start)
            if read < 0 { fail() }
            guard nextEvent < events.count else { return (bytes.count, nil) }
        }
        let (event, place) = events[nextEvent]
        nextEvent += 1
        eventRequest = place
        guard nextEvent == events.count else { return (start, event) }
        events.removeAll(keepingCapacity: true)
        nextEvent = 0
        return (bytes.count, event)
    }

    func receiveEnd() -> (event: ClientEvent?, ending: ConnectionEnding) {
        if bad { return (nil, .badResponse) }
        if goawayError { return (nil, .goaway) }
        return (nil, places.outstanding == 0 ? .complete : .closedEarly)
    }

    /// The server broke the protocol: one bad event, and nothing after it is read.
    private func fail() {
        guard !bad else { return }
        bad = true
        events.append((.bad, eventRequest))
    }

    /// An event of the chunk being read; none once the server broke the protocol (nghttp2 may go on reporting).
    private func emit(_ event: ClientEvent, _ place: Int) {
        if !bad { events.append((event, place)) }
    }

    // MARK: What nghttp2 read

    private func place(of streamID: Int32) -> Int? {
        guard let data = nghttp2_session_get_stream_user_data(session, streamID) else { return nil }
        let place = Int(bitPattern: data) - 1
        return places.isOutstanding(place) && streams[place] == streamID ? place : nil
    }

    fileprivate func responseBegan(_ streamID: Int32) {
        guard let place = place(of: streamID), places.received(place) == 0, status[place] == 0 else { return }
        emit(.firstByte, place)
    }

    override func header(_ streamID: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool {
        guard let place = place(of: streamID), name.elementsEqual(HTTP2Names.status) else { return true }
        // nghttp2 lets only three digits through; anything else would be no status.
        status[place] = value.count == 3 ? value.reduce(0) { $0 * 10 + Int(HTTPBytes.decimalDigit($1) ?? 0) } : 0
        return true
    }

    fileprivate func body(_ streamID: Int32, count: Int) {
        guard let place = place(of: streamID) else { return }
        places.receive(count, at: place)
    }

    /// The answer's END_STREAM came: judged as HTTP/1.1's client judges a whole response.
    fileprivate func responseEnded(_ streamID: Int32) {
        guard let place = place(of: streamID), status[place] >= 200 else { return }
        let outcome: ClientEvent
        switch status[place] {
        case 400..<500: outcome = .response(.clientError)
        case 500...: outcome = .response(.serverError)
        default:
            guard !checksLength || places.received(place) == places.asked(place) else { return fail() }
            outcome = .response(.valid)
        }
        places.retire(place)
        emit(outcome, place)
    }

    /// The stream closed: whole answers are already retired; one that is not was reset (RST_STREAM, or refused by
    /// the server's GOAWAY), with nghttp2's error code. A stream past a graceful GOAWAY's last one is no failure: the
    /// server goes away without having seen it, as an HTTP/1.1 server that says `Connection: close` (nginx after
    /// 1,000 requests) never sees the requests a client would have sent after it; it is retired without an answer.
    fileprivate func streamClosed(_ streamID: Int32, code: UInt32) {
        guard let place = place(of: streamID) else { return }
        places.retire(place)
        if code == NGHTTP2_REFUSED_STREAM.rawValue && streamID > goawayLastStream { return }
        emit(.response(.reset(code)), place)
    }

    fileprivate func goaway(code: UInt32, lastStream: Int32) {
        serverCloses = true
        if code == NGHTTP2_NO_ERROR.rawValue { goawayLastStream = lastStream } else { goawayError = true }
    }

    fileprivate static func of(_ userData: UnsafeMutableRawPointer?) -> HTTP2ClientSession {
        Unmanaged<HTTP2ClientSession>.fromOpaque(userData!).takeUnretainedValue()
    }
}

/// The client's callbacks, made once: nghttp2 hands each the session's user data, the ``HTTP2ClientSession``.
extension HTTP2Callbacks {
    nonisolated(unsafe) static let client: OpaquePointer = {
        let callbacks = table()
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, frame, userData in
            HTTP2ClientSession.of(userData).responseBegan(frame!.pointee.hd.stream_id)
            return 0
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, streamID, _, length, userData in
            HTTP2ClientSession.of(userData).body(streamID, count: length)
            return 0
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            let header = frame!.pointee.hd
            let session = HTTP2ClientSession.of(userData)
            if header.type == UInt8(NGHTTP2_GOAWAY.rawValue) {
                session.goaway(code: frame!.pointee.goaway.error_code, lastStream: frame!.pointee.goaway.last_stream_id)
            } else if header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0 {
                session.responseEnded(header.stream_id)
            }
            return 0
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, streamID, code, userData in
            HTTP2ClientSession.of(userData).streamClosed(streamID, code: code)
            return 0
        }
        return callbacks
    }()
}
