/// The multiplex protocol's client side: a request's id is its place among the outstanding ones; frames are matched
/// to their request by id and their bytes counted, so answers may complete in any order.
final class MultiplexClientSession: ClientSession {
    private var places: RequestPlaces
    private var header = FixedHeader(length: MultiplexFrame.headerLength)
    /// The frame being read: its request, and its bytes still to come.
    private var frameRequest = 0
    private var frameLeft = 0
    private var bad = false
    private(set) var lastRequest = 0
    private(set) var eventRequest = 0

    init(_ settings: ClientSessionSettings) {
        places = RequestPlaces(depth: settings.pipelineDepth)
    }

    func reset() {
        header.reset()
        frameLeft = 0
        bad = false
        lastRequest = 0
        eventRequest = 0
        places.reset()
    }

    var outstanding: Int { places.outstanding }
    var canSend: Bool { !places.isFull }
    var requestCapacity: Int { MultiplexFrame.requestLength }

    func writeRequest(_ size: UInt32, last: Bool, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        precondition(canSend, "request sent beyond the pipeline depth")
        lastRequest = places.take(size)
        MultiplexFrame.write(UInt32(lastRequest), size, into: buffer)
        return MultiplexFrame.requestLength
    }

    /// Frame heads are read byte by byte (they may be split anywhere); a frame's bytes are counted to its request.
    func next(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (end: Int, event: ClientEvent?) {
        guard !bad else { return (bytes.count, nil) }
        var index = start
        while index < bytes.count {
            guard frameLeft == 0 else {
                let take = min(frameLeft, bytes.count - index)
                index += take
                frameLeft -= take
                places.receive(take, at: frameRequest)
                guard places.received(frameRequest) == places.asked(frameRequest) else { continue }
                places.retire(frameRequest)
                eventRequest = frameRequest
                return (index, .response(.valid))
            }
            let byte = bytes[index]
            index += 1
            guard let value = header.take(byte) else { continue }
            let (id, length) = (Int(value >> 32), Int(value & 0xFFFF_FFFF))
            // A frame for no outstanding request, empty, over 16 KiB, or beyond what its request asked for.
            guard places.isOutstanding(id), (1...MultiplexFrame.maxPayload).contains(length),
                places.received(id) + length <= places.asked(id)
            else {
                bad = true
                return (bytes.count, .bad)
            }
            frameRequest = id
            frameLeft = length
            if places.received(id) == 0 {
                eventRequest = id
                return (index, .firstByte)
            }
        }
        return (index, nil)
    }

    func receiveEnd() -> (event: ClientEvent?, ending: ConnectionEnding) {
        if bad { return (nil, .badResponse) }
        return (nil, places.outstanding == 0 && !header.isPartial ? .complete : .closedEarly)
    }
}
