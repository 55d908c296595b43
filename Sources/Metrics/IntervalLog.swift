import Foundation

/// HdrHistogram's interval log (format 1.3, as Java's HistogramLogWriter writes it): a histogram per tag and
/// interval, each a line `Tag=NAME,START,LENGTH,MAX,BASE64`, START in seconds from the BaseTime of the header and MAX
/// the interval's largest value in milliseconds. HdrHistogram's own tools (HistogramLogProcessor, Python's `hdrh`)
/// read it; the logs of several load hosts add up exactly (``merged(_:)``). Values are microseconds.
public struct IntervalLog: Sendable, Equatable {
    public struct Interval: Sendable, Equatable {
        public var tag: String?
        /// Seconds from the log's start time.
        public var start: Double
        public var length: Double
        public var histogram: LatencyHistogram

        public init(tag: String?, start: Double, length: Double, histogram: LatencyHistogram) {
            (self.tag, self.start, self.length, self.histogram) = (tag, start, length, histogram)
        }
    }

    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Seconds since the epoch at the first interval's start: the end of the warmup.
    public var startTime: Double
    public var intervals: [Interval]

    public init(startTime: Double, intervals: [Interval]) {
        self.startTime = startTime
        self.intervals = intervals
    }

    /// A run's seconds: every second of the window for every metric that was measured (uncorrected only in an
    /// open loop, where it differs from total), the last second as long as the window's remainder.
    public init(_ histograms: IntervalHistograms, windowStart: Double, windowSeconds: Double, openLoop: Bool) {
        let metrics = IntervalHistograms.Metric.allCases.filter { openLoop || $0 != .uncorrected }
        var intervals: [Interval] = []
        for (index, second) in histograms.seconds.enumerated() {
            let length = min(1, max(0, windowSeconds - Double(index)))
            for metric in metrics {
                intervals.append(Interval(
                    tag: metric.rawValue, start: Double(index), length: length > 0 ? length : 1,
                    histogram: second[metric]))
            }
        }
        self.init(startTime: windowStart, intervals: intervals)
    }

    /// The tags in the order of their first interval.
    public var tags: [String?] {
        var seen: [String?] = []
        for interval in intervals where !seen.contains(interval.tag) { seen.append(interval.tag) }
        return seen
    }

    /// Every interval of `tag` added into one histogram.
    public func histogram(tag: String?) -> LatencyHistogram {
        intervals.filter { $0.tag == tag }.reduce(into: LatencyHistogram()) { $0.merge($1.histogram) }
    }

    /// What a log's numbers are, for the comment line of a log bench writes: the format itself does not say.
    public static let units = "latencies in microseconds, Interval_Max in milliseconds"

    public func render(comment: String? = nil) -> String {
        var text = "#[Histogram log format version 1.3]\n"
        if let comment { text += "#\(comment)\n" }
        let stamp = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: startTime))
        text += "#[StartTime: \(Self.seconds(startTime)) (seconds since epoch), \(stamp)]\n"
        text += "#[BaseTime: \(Self.seconds(startTime)) (seconds since epoch)]\n"
        text += "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n"
        for interval in intervals {
            let encoded = Data(HistogramEncoding.compressed(interval.histogram)).base64EncodedString()
            text += (interval.tag.map { "Tag=\($0)," } ?? "")
                + "\(Self.seconds(interval.start)),\(Self.seconds(interval.length)),"
                + "\(Self.seconds(Double(interval.histogram.maxMicros) / 1000)),\(encoded)\n"
        }
        return text
    }

    /// Reads a log as Java's HistogramLogReader does: StartTime and BaseTime from the header when present; without
    /// a BaseTime, timestamps more than a year before the start time are taken as relative to it; without a
    /// StartTime, the log starts at its first interval.
    public static func parse(_ text: String) throws(ParseError) -> IntervalLog {
        var startTime: Double?
        var baseTime: Double?
        var read: [(tag: String?, stamp: Double, length: Double, histogram: LatencyHistogram)] = []
        // Java's writer ends lines with the platform's separator; "\r\n" is one Character, so split on any newline.
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            if line.hasPrefix("#[StartTime: ") || line.hasPrefix("#[BaseTime: ") {
                guard let time = Self.headerSeconds(line) else {
                    throw ParseError(description: "line \(number + 1) has no time: \(line.prefix(80))")
                }
                if line.hasPrefix("#[StartTime: ") { startTime = time } else { baseTime = time }
                continue
            }
            if line.hasPrefix("#") || line.hasPrefix("\"") { continue }
            var fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            var tag: String?
            if let first = fields.first, first.hasPrefix("Tag=") {
                tag = String(first.dropFirst(4))
                fields.removeFirst()
            }
            guard fields.count == 4, let stamp = Self.time(fields[0]), let length = Self.time(fields[1]),
                let bytes = Data(base64Encoded: fields[3])
            else { throw ParseError(description: "line \(number + 1) is not an interval: \(line.prefix(80))") }
            do {
                read.append((tag, stamp, length, try HistogramEncoding.decompressed(Array(bytes))))
            } catch {
                throw ParseError(description: "line \(number + 1): \(error)")
            }
        }
        let first = read.first?.stamp ?? 0
        let base = baseTime ?? startTime.map { first < $0 - 365 * 24 * 3600 ? $0 : 0 } ?? 0
        let start = startTime ?? first + base
        return IntervalLog(startTime: start, intervals: read.map {
            Interval(tag: $0.tag, start: $0.stamp + base - start, length: $0.length, histogram: $0.histogram)
        })
    }

    /// The logs of the hosts of one load as one log: the intervals of a tag that cover the same moment (their
    /// starts less than half an interval apart, on the grid of the longest interval's length from the earliest start)
    /// are added; nothing is averaged.
    public static func merged(_ logs: [IntervalLog]) -> IntervalLog {
        let start = logs.map(\.startTime).min() ?? 0
        // The longest interval, as a log's last one is cut short where its window ended.
        let step = logs.flatMap { $0.intervals.map(\.length) }.max().flatMap { $0 > 0 ? $0 : nil } ?? 1
        var slots: [Int: [String?: Interval]] = [:]
        var tags: [String?] = []
        for log in logs {
            for tag in log.tags where !tags.contains(tag) { tags.append(tag) }
            for interval in log.intervals {
                let slot = Int(((log.startTime + interval.start - start) / step).rounded())
                var merged = slots[slot]?[interval.tag]
                    ?? Interval(tag: interval.tag, start: Double(slot) * step, length: 0, histogram: .interval())
                merged.length = max(merged.length, interval.length)
                merged.histogram.merge(interval.histogram)
                slots[slot, default: [:]][interval.tag] = merged
            }
        }
        let intervals = slots.keys.sorted().flatMap { slot in tags.compactMap { slots[slot]?[$0] } }
        return IntervalLog(startTime: start, intervals: intervals)
    }

    static func seconds(_ value: Double) -> String { String(format: "%.3f", value) }

    static func headerSeconds(_ line: Substring) -> Double? {
        line.split(separator: ":", maxSplits: 1).last?.split(separator: " ").first.flatMap { time($0) }
    }

    /// A time in seconds as a log writes one: finite, and under 10^12 s (31,700 years) either way, so that a stamp
    /// plus a base time stays finite. Double reads "1796e70025" as infinity (found by Fuzz/Targets/hlog in CI's
    /// seeded run, Fuzz/corpus/hlog/start-time-past-a-double).
    static func time(_ text: some StringProtocol) -> Double? {
        guard let value = Double(text), abs(value) < 1e12 else { return nil }
        return value
    }
}
