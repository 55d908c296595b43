import CZlib

/// HdrHistogram's V2 compressed encoding, the form an interval log carries (base64 of it): a big-endian cookie and
/// length, then zlib's deflate of a 40-byte header and the counts as ZigZag LEB128 words, a run of zeros as one
/// negative word. Java, C, Go and Python's `hdrh` write and read this same form, so their tools read our logs.
public enum HistogramEncoding {
    static let encodingCookie: UInt32 = 0x1c84_9303 | 0x10
    static let compressedCookie: UInt32 = 0x1c84_9304 | 0x10
    static let headerBytes = 40
    /// The most an inflated payload may hold: a 5-digit histogram up to an hour has about 2 million counts, at most
    /// 9 bytes each. Past it, the input is not a histogram of latencies, whatever its header says.
    static let largestPayload = 1 << 25

    public struct DecodingError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The compressed form of `histogram`, with the run's range (1 µs to an hour) in its header.
    public static func compressed(_ histogram: LatencyHistogram) -> [UInt8] {
        let layout = Layout(lowest: 1, significantDigits: histogram.significantDigits)
        var counts: [UInt64] = []
        for bucket in histogram.recordedBuckets {
            let index = layout.index(of: bucket.micros)
            if counts.count <= index { counts += repeatElement(0, count: index + 1 - counts.count) }
            counts[index] += bucket.count
        }
        var words: [UInt8] = []
        var index = 0
        while index < counts.count {
            var zeros = 0
            while index + zeros < counts.count && counts[index + zeros] == 0 { zeros += 1 }
            // One zero is written as itself, as Java's encoder does; a longer run as its negated length.
            if zeros > 1 {
                appendZigZag(-Int64(zeros), to: &words)
                index += zeros
            } else {
                appendZigZag(Int64(counts[index]), to: &words)
                index += 1
            }
        }
        var payload: [UInt8] = []
        appendBigEndian(UInt64(encodingCookie), bytes: 4, to: &payload)
        appendBigEndian(UInt64(words.count), bytes: 4, to: &payload)
        appendBigEndian(0, bytes: 4, to: &payload)  // normalizing index offset
        appendBigEndian(UInt64(histogram.significantDigits), bytes: 4, to: &payload)
        appendBigEndian(1, bytes: 8, to: &payload)
        appendBigEndian(LatencyHistogram.highestTrackableMicros, bytes: 8, to: &payload)
        appendBigEndian((1.0 as Double).bitPattern, bytes: 8, to: &payload)  // integer-to-double ratio
        payload += words
        let deflated = deflate(payload)
        var encoded: [UInt8] = []
        appendBigEndian(UInt64(compressedCookie), bytes: 4, to: &encoded)
        appendBigEndian(UInt64(deflated.count), bytes: 4, to: &encoded)
        return encoded + deflated
    }

    /// The histogram of a compressed encoding, its values taken as microseconds. A value past an hour is refused
    /// rather than clamped: it is most likely a log in nanoseconds (HdrHistogram's usual unit), which read as
    /// microseconds would be a thousand times too slow.
    public static func decompressed(_ encoded: [UInt8]) throws(DecodingError) -> LatencyHistogram {
        guard encoded.count >= 8, bigEndian(encoded, at: 0, bytes: 4) == UInt64(compressedCookie) else {
            throw DecodingError(description: "not a V2 compressed histogram (its cookie)")
        }
        guard bigEndian(encoded, at: 4, bytes: 4) == UInt64(encoded.count - 8) else {
            throw DecodingError(description: "the compressed length in its header is not its length")
        }
        let payload = try inflate(Array(encoded[8...]))
        guard payload.count >= headerBytes, bigEndian(payload, at: 0, bytes: 4) == UInt64(encodingCookie) else {
            throw DecodingError(description: "not a V2 histogram payload (its cookie)")
        }
        let length = Int(bigEndian(payload, at: 4, bytes: 4))
        let offset = bigEndian(payload, at: 8, bytes: 4)
        let digits = Int(bigEndian(payload, at: 12, bytes: 4))
        let lowest = bigEndian(payload, at: 16, bytes: 8)
        let ratio = Double(bitPattern: bigEndian(payload, at: 32, bytes: 8))
        guard length == payload.count - headerBytes, (0...5).contains(digits), lowest >= 1 else {
            throw DecodingError(description: "a V2 header out of range (length \(length), digits \(digits))")
        }
        // A shifted or a double histogram's counts mean other values than their indexes say: refused, not misread.
        guard offset == 0, ratio == 1 else {
            throw DecodingError(description: "a normalizing offset (\(offset)) or a double ratio (\(ratio)), unread")
        }
        let layout = Layout(lowest: lowest, significantDigits: digits)
        let counts = layout.index(of: LatencyHistogram.highestTrackableMicros) + 1
        var histogram = LatencyHistogram.interval()
        var position = headerBytes
        var index = 0
        // Counts times values, added up: HdrHistogram's iterations (the mean, every percentile) add them in 64 bits
        // and trap past it, so a histogram whose sum passes half of that (its buckets' highest values are at most
        // twice these) is refused here (found by Fuzz/Targets/hlog).
        var total: UInt64 = 0
        // And the count itself. HdrHistogram's percentile iteration steps its level towards 100% by a tenth to a
        // twentieth of what is left, in Doubles: once what is left is under 7e-14 (ulp(100) = 1.4e-14), a step adds
        // nothing, and a bucket that reaches that level yields itself without end. A bucket before the last reaches
        // it when the last holds a small enough share of the count: one latency beyond 2^51 others spins (2^50 ends;
        // the iteration's arithmetic replayed in Doubles). Found by Fuzz/Targets/hlog twice: 2^53 in the zero bucket
        // (Fuzz/corpus/hlog/count-past-2-to-the-53), then 7.5e15 and 3 (count-past-2-to-the-52) under the first
        // bound, 2^53. 2^48, 2.8e14 latencies, is 10 million a second for 324 days.
        var count: UInt64 = 0
        while position < payload.count {
            let word = try readZigZag(payload, at: &position)
            if word < 0 {
                // Checked before it is added: three runs of 2^62 zeros overflowed the index (seen while fixing the
                // above, and confirmed by Fuzz/Targets/hlog on Fuzz/corpus/hlog/zero-runs-past-the-end).
                guard word != .min, -word <= counts - index else {
                    throw DecodingError(description: "a run of zeros past the end of any histogram")
                }
                index += Int(-word)
            } else {
                guard index < counts else {
                    throw DecodingError(description: "a value past an hour of microseconds (a log in nanoseconds?)")
                }
                // The bucket's highest value, as HdrHistogram reports a decoded bucket (its exact values are gone).
                let micros = layout.value(at: index + 1) - 1
                let (product, overflow) = UInt64(word).multipliedReportingOverflow(by: micros)
                let (sum, carry) = total.addingReportingOverflow(product)
                guard !overflow, !carry, sum <= UInt64.max / 2 else {
                    throw DecodingError(description: "counts of values past 64 bits: not a histogram of latencies")
                }
                total = sum
                count += UInt64(word)
                guard count <= 1 << 48 else {
                    throw DecodingError(description: "a count past 2^48: not a histogram of latencies")
                }
                if word > 0 { histogram.record(micros: micros, count: UInt64(word)) }
                index += 1
            }
        }
        return histogram
    }

    /// HdrHistogram's counts array: bucket 0 holds 2 x 10^digits values one unit apart, each further bucket the next
    /// power of two at half the resolution. Every implementation indexes it the same way, which is what lets them
    /// read each other's counts.
    struct Layout {
        let unitMagnitude: Int
        let subBucketHalfCountMagnitude: Int
        let subBucketHalfCount: Int
        let subBucketMask: UInt64
        let leadingZeroCountBase: Int

        init(lowest: UInt64, significantDigits: Int) {
            var largestSingleUnit: UInt64 = 2
            for _ in 0..<significantDigits { largestSingleUnit *= 10 }
            unitMagnitude = 63 - lowest.leadingZeroBitCount
            let subBucketCountMagnitude = 64 - (largestSingleUnit - 1).leadingZeroBitCount
            subBucketHalfCountMagnitude = max(subBucketCountMagnitude, 1) - 1
            subBucketHalfCount = 1 << subBucketHalfCountMagnitude
            subBucketMask = UInt64((1 << subBucketCountMagnitude) - 1) << unitMagnitude
            leadingZeroCountBase = 64 - unitMagnitude - subBucketCountMagnitude
        }

        func index(of value: UInt64) -> Int {
            let bucket = leadingZeroCountBase - (value | subBucketMask).leadingZeroBitCount
            let subBucket = Int(value >> UInt64(bucket + unitMagnitude))
            return ((bucket + 1) << subBucketHalfCountMagnitude) + subBucket - subBucketHalfCount
        }

        /// The lowest value of the bucket at `index`.
        func value(at index: Int) -> UInt64 {
            var bucket = (index >> subBucketHalfCountMagnitude) - 1
            var subBucket = (index & (subBucketHalfCount - 1)) + subBucketHalfCount
            if bucket < 0 {
                subBucket -= subBucketHalfCount
                bucket = 0
            }
            let shift = bucket + unitMagnitude
            return shift >= 63 ? UInt64.max : UInt64(subBucket) << UInt64(shift)
        }
    }

    // MARK: Words

    /// ZigZag, then LEB128 in at most 9 bytes: eight of 7 bits each, and a ninth with the last 8 bits whole.
    static func appendZigZag(_ signed: Int64, to bytes: inout [UInt8]) {
        var value = UInt64(bitPattern: (signed << 1) ^ (signed >> 63))
        for _ in 0..<8 {
            if value >> 7 == 0 {
                bytes.append(UInt8(value))
                return
            }
            bytes.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    static func readZigZag(_ bytes: [UInt8], at position: inout Int) throws(DecodingError) -> Int64 {
        var value: UInt64 = 0
        for group in 0..<9 {
            guard position < bytes.count else { throw DecodingError(description: "the counts end inside a word") }
            let byte = bytes[position]
            position += 1
            if group == 8 {
                value |= UInt64(byte) << 56
                break
            }
            value |= UInt64(byte & 0x7f) << UInt64(7 * group)
            if byte & 0x80 == 0 { break }
        }
        return Int64(bitPattern: (value >> 1) ^ (0 &- (value & 1)))
    }

    static func appendBigEndian(_ value: UInt64, bytes count: Int, to bytes: inout [UInt8]) {
        for shift in stride(from: (count - 1) * 8, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    static func bigEndian(_ bytes: [UInt8], at offset: Int, bytes count: Int) -> UInt64 {
        bytes[offset..<offset + count].reduce(0) { $0 << 8 | UInt64($1) }
    }

    // MARK: zlib

    static func deflate(_ input: [UInt8]) -> [UInt8] {
        var length = compressBound(uLong(input.count))
        var output = [UInt8](repeating: 0, count: Int(length))
        let status = output.withUnsafeMutableBufferPointer { out in
            input.withUnsafeBufferPointer { compress2(out.baseAddress, &length, $0.baseAddress, uLong($0.count), 6) }
        }
        precondition(status == Z_OK, "zlib's compress2 failed (\(status)) with a buffer of compressBound's size")
        return Array(output[..<Int(length)])
    }

    /// zlib's inflate into a buffer that doubles until it holds the whole, at most ``largestPayload`` bytes.
    static func inflate(_ input: [UInt8]) throws(DecodingError) -> [UInt8] {
        var capacity = max(4096, input.count * 8)
        while capacity <= largestPayload {
            var length = uLong(capacity)
            var output = [UInt8](repeating: 0, count: capacity)
            let status = output.withUnsafeMutableBufferPointer { out in
                input.withUnsafeBufferPointer { uncompress(out.baseAddress, &length, $0.baseAddress, uLong($0.count)) }
            }
            switch status {
            case Z_OK: return Array(output[..<Int(length)])
            case Z_BUF_ERROR: capacity *= 2
            default: throw DecodingError(description: "zlib cannot inflate it (status \(status))")
            }
        }
        throw DecodingError(description: "it inflates past \(largestPayload) bytes")
    }
}
