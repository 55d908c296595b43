/// The request protocol's only message: a 4-byte big-endian unsigned size n, asking for n random bytes.
public enum RequestHeader {
    public static let length = 4

    /// The four bytes that ask for `size` random bytes, in wire order.
    public static func encode(_ size: UInt32) -> (UInt8, UInt8, UInt8, UInt8) {
        (UInt8(truncatingIfNeeded: size >> 24), UInt8(truncatingIfNeeded: size >> 16),
         UInt8(truncatingIfNeeded: size >> 8), UInt8(truncatingIfNeeded: size))
    }

    /// Writes the header for `size` at the start of `buffer` (at least 4 bytes).
    public static func write(_ size: UInt32, into buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= length, "a request header needs \(length) bytes")
        buffer.storeBytes(of: size.bigEndian, toByteOffset: 0, as: UInt32.self)
    }
}
