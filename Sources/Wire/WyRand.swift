#if canImport(Glibc)
import Glibc
#endif

/// wyrand: a fast non-cryptographic generator (one multiply per 64 bits), for random bytes in bulk instead of a
/// syscall per response (docs/PROTOCOL.md). Each connection or worker owns one; it is a value type.
public struct WyRand: RandomNumberGenerator, Sendable {
    @usableFromInline var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    /// Seeded from the system generator, so two servers never send the same bytes.
    public init() {
        var system = SystemRandomNumberGenerator()
        state = system.next()
    }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0xA076_1D64_78BD_642F
        let product = state.multipliedFullWidth(by: state ^ 0xE703_7ED1_A0B4_28DB)
        return product.high ^ product.low
    }

    /// Uniform in [0, 1), from the top 53 bits.
    public mutating func unit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// Exponential with mean 1: -ln U with U uniform in (0, 1], so the logarithm is finite. The gaps of Poisson
    /// arrivals and exponential work durations are both drawn here.
    public mutating func exponential() -> Double {
        -log(1 - unit())
    }

    /// Fills `buffer` eight bytes at a time.
    public mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        var offset = 0
        while offset + 8 <= buffer.count {
            buffer.storeBytes(of: next(), toByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        if offset < buffer.count {
            var last = next()
            withUnsafeBytes(of: &last) { tail in
                for index in offset..<buffer.count { buffer[index] = tail[index - offset] }
            }
        }
    }
}
