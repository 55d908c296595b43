/// The classic random-bytes frame: a 34-byte prefix, 16 random bytes, a 31-byte suffix; 81 bytes in all.
public enum Greeting {
    public static let prefix: [UInt8] = Array("You requested some random bytes:\n\n".utf8)
    public static let suffix: [UInt8] = Array("  \n\nYou want fries with that?\n\n".utf8)
    public static let randomByteCount = 16
    public static let frameLength = 81  // 34 + 16 + 31
    static let suffixOffset = 50  // 34 + 16

    /// Writes one frame into `buffer` (at least ``frameLength`` bytes) with fresh random bytes from `random`.
    /// Servers call it once per accepted connection; it never allocates.
    public static func write(into buffer: UnsafeMutableRawBufferPointer, using random: inout WyRand) {
        precondition(buffer.count >= frameLength, "a greeting needs \(frameLength) bytes")
        prefix.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        buffer.storeBytes(of: random.next(), toByteOffset: prefix.count, as: UInt64.self)
        buffer.storeBytes(of: random.next(), toByteOffset: prefix.count + 8, as: UInt64.self)
        suffix.withUnsafeBytes {
            (buffer.baseAddress! + suffixOffset).copyMemory(from: $0.baseAddress!, byteCount: $0.count)
        }
    }

    /// The byte a valid frame has at `offset`, or nil where any byte is allowed (the random part).
    @inlinable
    public static func expectedByte(at offset: Int) -> UInt8? {
        if offset < 34 { return prefix[offset] }
        if offset < 50 { return nil }
        return suffix[offset - 50]
    }
}
