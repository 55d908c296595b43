import FuzzSupport

@testable import Metrics

/// The interval log's writer and reader: a log of the histograms the input describes, rendered and read back, is the
/// same log (its times to the millisecond the format keeps). Each 6 bytes of input: the first says whether a new
/// interval begins, its tag, and a shift; the next 4 a value, shifted to reach an hour and past it; the last a count.
func log(of input: UnsafeRawBufferPointer) -> IntervalLog {
    let tags: [String?] = [nil] + IntervalHistograms.Metric.allCases.map(\.rawValue)
    var intervals: [IntervalLog.Interval] = []
    var offset = 0
    while offset + 6 <= input.count {
        let control = input[offset]
        let value = input[(offset + 1)..<(offset + 5)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        if intervals.isEmpty || control & 3 == 0 {
            let tag = tags[Int(control >> 2 & 7) % tags.count]
            intervals.append(
                IntervalLog.Interval(
                    tag: tag, start: Double(intervals.count), length: 1, histogram: .interval()))
        }
        intervals[intervals.count - 1].histogram.record(
            micros: value << UInt64(control >> 5), count: UInt64(input[offset + 5]) + 1)
        offset += 6
    }
    return IntervalLog(startTime: 1_796_247_000.125, intervals: intervals)
}

fuzz { input in
    let written = log(of: input)
    guard let read = try? IntervalLog.parse(written.render(comment: "fuzz")) else {
        preconditionFailure("bench cannot read the log it wrote")
    }
    precondition(read.startTime == written.startTime, "the start time")
    precondition(read.intervals.count == written.intervals.count, "the intervals")
    for (was, back) in zip(written.intervals, read.intervals) {
        precondition(was.tag == back.tag && was.histogram == back.histogram, "an interval's tag or histogram")
        precondition(abs(was.start - back.start) < 1e-6 && was.length == back.length, "an interval's times")
    }
}
