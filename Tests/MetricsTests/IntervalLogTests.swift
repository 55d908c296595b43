import Foundation
import Testing

@testable import Metrics

/// HdrHistogram's V2 compressed encoding and interval log, read back and merged: every count where it was.
struct IntervalLogTests {
    /// Latencies over nine decades (1 µs to past an hour), in an uneven pattern, with runs of empty buckets.
    private static func latencies(_ count: Int, seed: UInt64) -> [UInt64] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return 1 + (state >> 33) % (1 << UInt64(1 + (state >> 20) % 32))
        }
    }

    private static func histogram(_ values: [UInt64]) -> LatencyHistogram {
        values.reduce(into: LatencyHistogram.interval()) { $0.record(micros: $1) }
    }

    @Test(arguments: [0, 1, 7, 20_000])
    func aHistogramSurvivesItsEncoding(count: Int) throws {
        let original = Self.histogram(Self.latencies(count, seed: UInt64(count)))
        let decoded = try HistogramEncoding.decompressed(HistogramEncoding.compressed(original))
        #expect(decoded.count == UInt64(count))
        #expect(decoded == original)
        #expect(decoded.recordedBuckets.map(\.count) == original.recordedBuckets.map(\.count))
        // The encoding keeps buckets, not values: each percentile lies in the original's bucket.
        let layout = HistogramEncoding.Layout(lowest: 1, significantDigits: 3)
        for percentile in [50.0, 90, 99, 99.9, 100] {
            #expect(layout.index(of: decoded.micros(atPercentile: percentile))
                == layout.index(of: original.micros(atPercentile: percentile)))
        }
    }

    @Test(arguments: [Int64(0), 1, -1, 63, 64, -64, -65, 1 << 20, 1 << 55, 1 << 56, Int64.max, Int64.min])
    func zigZagWordsRoundTripInAtMostNineBytes(value: Int64) throws {
        var bytes: [UInt8] = []
        HistogramEncoding.appendZigZag(value, to: &bytes)
        #expect(bytes.count <= 9)
        var position = 0
        #expect(try HistogramEncoding.readZigZag(bytes, at: &position) == value)
        #expect(position == bytes.count)
    }

    /// The counts array's layout is HdrHistogram's: every value maps to a bucket whose lowest value maps back to it,
    /// and values within the precision share it.
    @Test(arguments: [1, 2, 3])
    func theLayoutIndexesAsHdrHistogramDoes(digits: Int) {
        let layout = HistogramEncoding.Layout(lowest: 1, significantDigits: digits)
        let single = Int(2 * pow(10.0, Double(digits)))
        let subBucketCount = 1 << Int(ceil(log2(Double(single))))
        for value in [UInt64(0), 1, UInt64(subBucketCount - 1), UInt64(subBucketCount)] {
            #expect(layout.index(of: value) == Int(value), "bucket 0 holds one value each, up to the sub-bucket count")
        }
        var previous = -1
        for value in Self.latencies(5_000, seed: 3).sorted() {
            let index = layout.index(of: value)
            #expect(index >= previous)
            #expect(layout.index(of: layout.value(at: index)) == index)
            #expect(layout.value(at: index) <= value)
            previous = index
        }
    }

    @Test func brokenEncodingsAreRefusedNotRead() {
        let good = HistogramEncoding.compressed(Self.histogram([5, 500, 5_000]))
        #expect(throws: HistogramEncoding.DecodingError.self) { try HistogramEncoding.decompressed([]) }
        #expect(throws: HistogramEncoding.DecodingError.self) {
            try HistogramEncoding.decompressed(Array(good.dropLast()))
        }
        var cookie = good
        cookie[3] ^= 0xff
        #expect(throws: HistogramEncoding.DecodingError.self) { try HistogramEncoding.decompressed(cookie) }
        var body = good
        body[body.count / 2] ^= 0x55
        #expect(throws: HistogramEncoding.DecodingError.self) { try HistogramEncoding.decompressed(body) }
    }

    /// A compressed encoding of a 3-digit histogram whose counts are `words`, its header's offset and ratio given.
    private static func encoding(words: [Int64], offset: UInt64 = 0, ratio: Double = 1) -> [UInt8] {
        var counts: [UInt8] = []
        for word in words { HistogramEncoding.appendZigZag(word, to: &counts) }
        var payload: [UInt8] = []
        for (value, bytes) in [
            (UInt64(HistogramEncoding.encodingCookie), 4), (UInt64(counts.count), 4), (offset, 4), (3, 4), (1, 8),
            (LatencyHistogram.highestTrackableMicros, 8), (ratio.bitPattern, 8),
        ] { HistogramEncoding.appendBigEndian(value, bytes: bytes, to: &payload) }
        let deflated = HistogramEncoding.deflate(payload + counts)
        var encoded: [UInt8] = []
        HistogramEncoding.appendBigEndian(UInt64(HistogramEncoding.compressedCookie), bytes: 4, to: &encoded)
        HistogramEncoding.appendBigEndian(UInt64(deflated.count), bytes: 4, to: &encoded)
        return encoded + deflated
    }

    /// What would be misread is refused: a value past an hour (a log in nanoseconds), a zero run no histogram has,
    /// a shifted or double histogram. The same words with a value inside the hour are read.
    @Test func countsBenchWouldMisreadAreRefused() throws {
        let layout = HistogramEncoding.Layout(lowest: 1, significantDigits: 3)
        let hour = layout.index(of: LatencyHistogram.highestTrackableMicros)
        let read = try HistogramEncoding.decompressed(Self.encoding(words: [-Int64(hour), 7]))
        #expect(read.count == 7)
        #expect(read.maxMicros >= LatencyHistogram.highestTrackableMicros - 1_000_000)
        for words in [[-Int64(hour) - 1, 7], [-Int64(hour) * 1_000, 7], [.min, 7]] {
            #expect(throws: HistogramEncoding.DecodingError.self) {
                try HistogramEncoding.decompressed(Self.encoding(words: words))
            }
        }
        #expect(throws: HistogramEncoding.DecodingError.self) {
            try HistogramEncoding.decompressed(Self.encoding(words: [3], offset: 2))
        }
        #expect(throws: HistogramEncoding.DecodingError.self) {
            try HistogramEncoding.decompressed(Self.encoding(words: [3], ratio: 0.001))
        }
    }

    /// Found by Fuzz/Targets/hlog (Fuzz/corpus/hlog/counts-past-64-bits): counts whose values add up past 64 bits
    /// were read, and trapped the histogram's first iteration (its encoding, its mean, any percentile); runs of 2^62
    /// zeros (Fuzz/corpus/hlog/zero-runs-past-the-end) overflowed the index. Both are refused, while a billion
    /// latencies of an hour, more than any run records, are read.
    @Test func countsPastSixtyFourBitsAreRefusedNotTrappedOn() throws {
        let layout = HistogramEncoding.Layout(lowest: 1, significantDigits: 3)
        let tenMinutes = Int64(layout.index(of: 600_000_000))
        let hour = Int64(layout.index(of: LatencyHistogram.highestTrackableMicros))
        let read = try HistogramEncoding.decompressed(Self.encoding(words: [-hour, 1_000_000_000]))
        #expect(read.count == 1_000_000_000 && read.summary.meanMicros > 3e9)
        // The most counts read, one latency beyond the rest: its percentiles end.
        let most = try HistogramEncoding.decompressed(Self.encoding(words: [(1 << 48) - 1, 0, 1]))
        #expect(most.count == 1 << 48 && most.spectrum.count < 1_000)
        let zeroRun: Int64 = -(1 << 62)
        // The last two: counts whose percentiles HdrHistogram iterated without end, 2^53 in the zero bucket
        // (Fuzz/corpus/hlog/count-past-2-to-the-53), then 7.5e15 with 3 latencies beyond them
        // (Fuzz/corpus/hlog/count-past-2-to-the-52).
        let overflowing: [[Int64]] = [
            [-tenMinutes, 1 << 40], [-hour, 1 << 32], [zeroRun, zeroRun, zeroRun, 2], [1 << 53, 1],
            [26, 7_477_977_970_954_793, 0, -1, 0, 0, 3],
        ]
        for words in overflowing {
            // Not #expect(throws:): a histogram read by mistake would be described, and its description iterates
            // the percentiles that spin.
            do {
                _ = try HistogramEncoding.decompressed(Self.encoding(words: words))
                Issue.record("\(words) were read")
            } catch is HistogramEncoding.DecodingError {
            } catch {
                Issue.record("\(words): \(error)")
            }
        }
    }

    /// A time that is not one is refused, not read as infinity: "1796e70025" in the header (found by Fuzz/Targets/hlog,
    /// Fuzz/corpus/hlog/start-time-past-a-double), and the same in an interval's start or length.
    @Test func aTimePastADoubleIsRefused() throws {
        var seconds = IntervalHistograms()
        seconds.record(.total, second: 0, micros: 1_000)
        let text = IntervalLog(seconds, windowStart: 1_796_250_000, windowSeconds: 1, openLoop: false).render()
        let interval = try #require(text.split(separator: "\n").last { !$0.hasPrefix("#") && !$0.hasPrefix("\"") })
        let fields = interval.split(separator: ",")
        let stampAt = fields.first?.hasPrefix("Tag=") == true ? 1 : 0
        func with(_ field: Int, _ value: String) -> String {
            var changed = fields.map(String.init)
            changed[stampAt + field] = value
            return text.replacingOccurrences(of: interval, with: changed.joined(separator: ","))
        }
        let broken = [
            text.replacingOccurrences(of: "#[StartTime: 1796250000.000", with: "#[StartTime: 1796e70025"),
            text.replacingOccurrences(of: "#[BaseTime: 1796250000.000", with: "#[BaseTime: inf"),
            with(0, "1e999"), with(1, "nan"),
        ]
        #expect(try IntervalLog.parse(text).startTime == 1_796_250_000)
        for log in broken {
            #expect(log != text, "the test did not change the log")
            #expect(throws: IntervalLog.ParseError.self, "read: \(log)") { try IntervalLog.parse(log) }
        }
    }

    /// Java's writer ends lines as its platform does: a log with CRLF line ends reads as the same log.
    @Test func aLogWithWindowsLineEndsReadsTheSame() throws {
        var seconds = IntervalHistograms()
        for (index, value) in Self.latencies(3_000, seed: 3).enumerated() {
            seconds.record(.total, second: index % 2, micros: value)
        }
        let text = IntervalLog(seconds, windowStart: 1_796_250_000, windowSeconds: 2, openLoop: false).render()
        let crlf = try IntervalLog.parse(text.replacingOccurrences(of: "\n", with: "\r\n"))
        let lf = try IntervalLog.parse(text)
        #expect(crlf.intervals.count == lf.intervals.count && !lf.intervals.isEmpty)
        #expect(crlf.intervals.map(\.start) == lf.intervals.map(\.start))
        #expect(crlf.histogram(tag: "total") == lf.histogram(tag: "total"))
    }

    @Test func aLogReadsBackWithItsTagsTimesAndCounts() throws {
        var seconds = IntervalHistograms()
        for (index, value) in Self.latencies(9_000, seed: 11).enumerated() {
            seconds.record(.total, second: index % 3, micros: value)
            if index % 4 == 0 { seconds.record(.connect, second: index % 3, micros: value / 3) }
        }
        let log = IntervalLog(seconds, windowStart: 1_796_250_000.5, windowSeconds: 2.25, openLoop: false)
        #expect(log.tags == ["connect", "first_byte", "total"], "uncorrected only in an open loop")
        #expect(log.intervals.map(\.length).suffix(3) == [0.25, 0.25, 0.25], "the last second is the window's rest")
        let read = try IntervalLog.parse(log.render(comment: "[a test]"))
        #expect(read.startTime == 1_796_250_000.5)
        #expect(read.intervals.map(\.tag) == log.intervals.map(\.tag))
        #expect(read.intervals.map(\.start) == log.intervals.map(\.start))
        #expect(read.intervals.map(\.histogram) == log.intervals.map(\.histogram))
        #expect(read.histogram(tag: "total").count == 9_000)
        #expect(read.histogram(tag: "connect").count == 2_250)
    }

    /// A log without BaseTime whose stamps are small is relative to its StartTime; one with absolute stamps is not.
    @Test func timestampsAreReadAsJavaReadsThem() throws {
        let payload = Data(HistogramEncoding.compressed(Self.histogram([10]))).base64EncodedString()
        let relative = try IntervalLog.parse("#[StartTime: 1796250000.000 (seconds since epoch), x]\n2.000,1.000,0.010,\(payload)\n")
        #expect(relative.intervals.first?.start == 2)
        let absolute = try IntervalLog.parse("#[StartTime: 1796250000.000 (seconds since epoch), x]\n1796250003.000,1.000,0.010,\(payload)\n")
        #expect(absolute.intervals.first?.start == 3)
        #expect(throws: IntervalLog.ParseError.self) { try IntervalLog.parse("1.0,1.0,0.1,not-base64!\n") }
        #expect(throws: IntervalLog.ParseError.self) { try IntervalLog.parse("1.0,1.0\n") }
    }

    /// Two hosts' logs, started 4 ms apart: each second's histograms are added, so the union's percentiles are those of
    /// all values together, and nothing lands in a second of its own.
    @Test func hostsLogsAddUpSecondBySecond() throws {
        let values = Self.latencies(12_000, seed: 5)
        var hosts = [IntervalHistograms(), IntervalHistograms()]
        var whole = LatencyHistogram()
        for (index, value) in values.enumerated() {
            hosts[index % 2 == 0 || index % 7 == 0 ? 0 : 1].record(.total, second: index % 4, micros: value)
            whole.record(micros: value)
        }
        let logs = [
            IntervalLog(hosts[0], windowStart: 1_796_250_000.000, windowSeconds: 4, openLoop: false),
            IntervalLog(hosts[1], windowStart: 1_796_250_000.004, windowSeconds: 4, openLoop: false),
        ]
        let merged = IntervalLog.merged(try logs.map { try IntervalLog.parse($0.render()) })
        #expect(merged.startTime == 1_796_250_000)
        #expect(merged.intervals.filter { $0.tag == "total" }.map(\.start) == [0, 1, 2, 3])
        #expect(merged.histogram(tag: "total") == whole)
        for second in 0..<4 {
            let expected = hosts[0].seconds[second][.total].merged(with: hosts[1].seconds[second][.total])
            #expect(merged.intervals.first { $0.tag == "total" && $0.start == Double(second) }?.histogram == expected)
        }
    }

    /// A host whose window was shorter than a second comes first: the others' seconds still land on whole seconds.
    @Test func aShortFirstLogDoesNotSetTheGrid() throws {
        var short = IntervalHistograms()
        short.record(.total, second: 0, micros: 100)
        var long = IntervalHistograms()
        for second in 0..<3 { long.record(.total, second: second, micros: 200) }
        let merged = IntervalLog.merged([
            IntervalLog(short, windowStart: 1_796_250_000, windowSeconds: 0.3, openLoop: false),
            IntervalLog(long, windowStart: 1_796_250_000, windowSeconds: 3, openLoop: false),
        ])
        #expect(merged.intervals.filter { $0.tag == "total" }.map(\.start) == [0, 1, 2])
        #expect(merged.histogram(tag: "total").count == 4)
    }
}
