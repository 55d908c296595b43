#if canImport(Glibc)
import Glibc
#endif

/// HTTP/2 written and read by hand (RFC 9113 §4.1: a 9-byte head, length u24, type, flags, stream u31), so that a
/// test can send what no honest client would and read back the exact frames the server answers. Header blocks are
/// HPACK without Huffman, built field by field (RFC 7541 §6).
enum H2 {
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    enum FrameType: UInt8 {
        case data = 0, headers = 1, rstStream = 3, settings = 4, ping = 6, goaway = 7, windowUpdate = 8
        case continuation = 9
    }

    enum Flag {
        static let endStream: UInt8 = 0x1
        static let ack: UInt8 = 0x1
        static let endHeaders: UInt8 = 0x4
    }

    /// Error codes of RST_STREAM and GOAWAY (RFC 9113 §7).
    enum Code: UInt32 {
        case noError = 0, protocolError = 1, flowControlError = 3, refusedStream = 7, cancel = 8, enhanceYourCalm = 11
    }

    struct Frame {
        var type: UInt8
        var flags: UInt8
        var stream: UInt32
        var payload: [UInt8]

        /// The error code of a RST_STREAM or GOAWAY.
        var code: UInt32? {
            switch FrameType(rawValue: type) {
            case .rstStream: payload.count == 4 ? H2.number(payload[0..<4]) : nil
            case .goaway: payload.count >= 8 ? H2.number(payload[4..<8]) : nil
            default: nil
            }
        }

        /// The last stream a GOAWAY names.
        var lastStream: UInt32? { type == FrameType.goaway.rawValue ? H2.number(payload[0..<4]) & 0x7FFF_FFFF : nil }
    }

    static func frame(_ type: FrameType, flags: UInt8 = 0, stream: UInt32 = 0, _ payload: [UInt8] = []) -> [UInt8] {
        let length = UInt32(payload.count)
        return [UInt8(length >> 16), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type.rawValue, flags]
            + bigEndian(stream) + payload
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    static func number(_ bytes: ArraySlice<UInt8>) -> UInt32 { bytes.reduce(0) { $0 << 8 | UInt32($1) } }

    /// SETTINGS of (id, value) pairs: 4 is SETTINGS_INITIAL_WINDOW_SIZE.
    static func settings(_ entries: [(id: UInt16, value: UInt32)] = []) -> [UInt8] {
        frame(.settings, entries.flatMap { [UInt8($0.id >> 8), UInt8($0.id & 0xFF)] + bigEndian($0.value) })
    }

    static func reset(_ stream: UInt32, _ code: Code) -> [UInt8] {
        frame(.rstStream, stream: stream, bigEndian(code.rawValue))
    }

    static func windowUpdate(_ stream: UInt32, by increment: UInt32) -> [UInt8] {
        frame(.windowUpdate, stream: stream, bigEndian(increment))
    }

    /// The fields of a GET of `path`: `:method GET` and `:scheme http` indexed (static entries 2 and 6), `:path` and
    /// `:authority` literal with their names indexed (4 and 1), none added to the dynamic table.
    static func getFields(_ path: String) -> [UInt8] {
        [0x82, 0x86, 0x04] + string(Array(path.utf8)) + [0x01] + string([0x74])
    }

    /// One whole request: HEADERS with END_STREAM and END_HEADERS.
    static func get(_ path: String, stream: UInt32) -> [UInt8] {
        frame(.headers, flags: Flag.endStream | Flag.endHeaders, stream: stream, getFields(path))
    }

    /// An HPACK string literal, its length an integer of a 7-bit prefix.
    static func string(_ bytes: [UInt8]) -> [UInt8] { integer(bytes.count, prefixBits: 7, first: 0) + bytes }

    /// An HPACK integer (RFC 7541 §5.1) in a prefix of `prefixBits`, the byte's other bits `first`'s.
    static func integer(_ value: Int, prefixBits: Int, first: UInt8) -> [UInt8] {
        let limit = (1 << prefixBits) - 1
        guard value >= limit else { return [first | UInt8(value)] }
        var bytes = [first | UInt8(limit)]
        var rest = value - limit
        while rest >= 128 {
            bytes.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        return bytes + [UInt8(rest)]
    }

    /// The frames in `bytes`, whole ones only.
    static func frames(_ bytes: [UInt8]) -> [Frame] {
        var frames: [Frame] = []
        var offset = 0
        while offset + 9 <= bytes.count {
            let length = Int(number(bytes[offset..<(offset + 3)]))
            guard offset + 9 + length <= bytes.count else { break }
            frames.append(
                Frame(
                    type: bytes[offset + 3], flags: bytes[offset + 4],
                    stream: number(bytes[(offset + 5)..<(offset + 9)]) & 0x7FFF_FFFF,
                    payload: Array(bytes[(offset + 9)..<(offset + 9 + length)])))
            offset += 9 + length
        }
        return frames
    }
}

extension TestClient {
    /// Reads until the server's side ends, as frames.
    func readFrames() -> (frames: [H2.Frame], ending: Ending) {
        let (bytes, ending) = readToEnd()
        return (H2.frames(bytes), ending)
    }

    /// Reads frames until one satisfies `isLast`, or the stream ends or the client's timeout passes first.
    func readFrames(until isLast: (H2.Frame) -> Bool) -> [H2.Frame] {
        var bytes: [UInt8] = []
        while true {
            let frames = H2.frames(bytes)
            if frames.contains(where: isLast) { return frames }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let received = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard received > 0 else { return frames }
            bytes += chunk[..<received]
        }
    }

    /// An honest h2c exchange: `GET /bytes/16` on a fresh connection's stream 1; true when it is answered 200 with
    /// exactly 16 bytes.
    static func h2Served(port: Int) throws -> Bool {
        let client = try TestClient(port: port, timeoutSeconds: 5)
        guard client.send(H2.preface + H2.settings() + H2.get("/bytes/16", stream: 1)) else { return false }
        let frames = client.readFrames { $0.stream == 1 && $0.flags & H2.Flag.endStream != 0 }
        let answer = frames.filter { $0.stream == 1 }
        // `:status 200` is entry 8 of HPACK's static table, which nghttp2 names by its index.
        let ok = answer.first { $0.type == H2.FrameType.headers.rawValue }?.payload.first == 0x88
        let body = answer.filter { $0.type == H2.FrameType.data.rawValue }.reduce(0) { $0 + $1.payload.count }
        return ok && body == 16 && answer.contains { $0.flags & H2.Flag.endStream != 0 }
    }
}
