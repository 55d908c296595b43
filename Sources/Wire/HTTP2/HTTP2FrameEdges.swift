/// Where the client's preface and frames end, read from the 9-byte frame heads' lengths as the bytes stream by: the
/// models time a client whose input stops inside one (nghttp2 holds such bytes without a word) as a request begun, so
/// that a client trickling a frame a byte at a time is closed at the read timeout of its first byte (a slowloris).
/// Nothing else of the frames is read here: nghttp2 reads them, and ends a connection whose frames are wrong.
struct HTTP2FrameEdges {
    private static let prefaceLength = 24
    private static let headLength = 9

    private var prefaceLeft = prefaceLength
    /// Bytes of the current frame's head read, its length so far, and its payload still to come.
    private var headRead = 0
    private var length = 0
    private var payloadLeft = 0

    mutating func reset() {
        self = HTTP2FrameEdges()
    }

    /// The input read so far stops inside the preface or a frame.
    var isInside: Bool { (1..<Self.prefaceLength).contains(prefaceLeft) || headRead > 0 || payloadLeft > 0 }

    mutating func scan(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        while index < bytes.count {
            let rest = bytes.count - index
            if prefaceLeft > 0 || payloadLeft > 0 {
                let take = min(prefaceLeft > 0 ? prefaceLeft : payloadLeft, rest)
                if prefaceLeft > 0 { prefaceLeft -= take } else { payloadLeft -= take }
                index += take
                continue
            }
            if headRead < 3 { length = length << 8 | Int(bytes[index]) }
            headRead += 1
            index += 1
            if headRead == Self.headLength { (payloadLeft, headRead, length) = (length, 0, 0) }
        }
    }
}
