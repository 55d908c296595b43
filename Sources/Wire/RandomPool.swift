/// A block of random bytes filled once at start, from which responses are cut at random offsets.
///
/// A response of n bytes is then a pointer and a length: no allocation, no copy and no generator work per
/// request, which is what lets a server answer a hostile flood of 1 MiB requests without allocating. The C
/// reference server does the same, so ratios against it compare scheduling, not byte generation.
public final class RandomPool: @unchecked Sendable {
    // @unchecked: `storage` is written only in init and read-only afterwards, so sharing across threads is safe.
    @usableFromInline let storage: UnsafeMutableRawBufferPointer
    /// The largest response one slice can hold.
    public let maxSlice: Int

    /// A pool for responses up to `maxSlice` bytes; it holds `maxSlice` + 1 MiB, so offsets vary.
    public init(maxSlice: Int, random: inout WyRand) {
        precondition(maxSlice >= 1, "a pool serves at least one byte")
        self.maxSlice = maxSlice
        storage = .allocate(byteCount: maxSlice + (1 << 20), alignment: 16)
        random.fill(storage)
    }

    deinit {
        storage.deallocate()
    }

    /// `count` (1...maxSlice) random bytes at a random offset. The bytes live as long as the pool.
    @inlinable
    public func slice(_ count: Int, using random: inout WyRand) -> UnsafeRawBufferPointer {
        precondition(count >= 1 && count <= maxSlice, "slice of \(count) bytes is outside 1...\(maxSlice)")
        let offset = Int(random.next() % UInt64(bytes.count - count + 1))
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    /// Every byte of the pool, read-only.
    @inlinable
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(storage) }
}
