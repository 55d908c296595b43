/// The multiplex protocol's framing: a request `[id u32][n u32]`, answered by frames `[id u32][length u32][bytes]`
/// whose lengths sum to n, each at most ``maxPayload`` bytes; all big-endian. The id is the client's to choose.
public enum MultiplexFrame {
    public static let requestLength = 8
    public static let headerLength = 8
    /// The most bytes one frame carries: a 16-byte answer waits behind at most this much of each larger one.
    public static let maxPayload = 16 * 1024

    /// Writes `[a][b]`, the layout of both a request (id, n) and a frame header (id, length), at `offset`.
    public static func write(_ a: UInt32, _ b: UInt32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int = 0) {
        precondition(buffer.count - offset >= 8, "a multiplex header needs 8 bytes")
        buffer.storeBytes(of: a.bigEndian, toByteOffset: offset, as: UInt32.self)
        buffer.storeBytes(of: b.bigEndian, toByteOffset: offset + 4, as: UInt32.self)
    }
}
