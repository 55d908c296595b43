/// A big-endian header of a fixed length (4 or 8 bytes) read byte by byte, as it may be split anywhere between reads.
struct FixedHeader {
    let length: Int
    private var value: UInt64 = 0
    private(set) var bytesRead = 0

    init(length: Int) {
        precondition((1...8).contains(length), "a header of 1 to 8 bytes")
        self.length = length
    }

    /// A header has begun and is not whole: a half-close here is a protocol error.
    var isPartial: Bool { bytesRead > 0 }

    mutating func reset() {
        value = 0
        bytesRead = 0
    }

    /// Takes one byte; returns the header's value once it is whole, and starts the next.
    @inline(__always)
    mutating func take(_ byte: UInt8) -> UInt64? {
        value = value << 8 | UInt64(byte)
        bytesRead += 1
        guard bytesRead == length else { return nil }
        defer { reset() }
        return value
    }
}
