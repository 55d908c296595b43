import FuzzSupport

@testable import Metrics

/// The interval-log reader on any file (`bench merge` reads other hosts' logs), and the compressed histogram decoder
/// on any bytes. The first byte picks: a log's text; a compressed histogram, past the base64 the text would make the
/// fuzzer guess; or the payload a compressed histogram inflates to, deflated here, past the checksum of zlib's stream
/// that mutated bytes hardly ever match. Every time read must be finite; a histogram the decoder accepts must encode
/// and decode to itself.
fuzz { input in
    guard let mode = input.first else { return }
    let bytes = UnsafeRawBufferPointer(rebasing: input[1...])
    var histograms: [LatencyHistogram] = []
    switch mode % 3 {
    case 0:
        guard let log = try? IntervalLog.parse(text(bytes)) else { break }
        let times = [log.startTime] + log.intervals.flatMap { [$0.start, $0.length] }
        precondition(times.allSatisfy(\.isFinite), "a log read with a time of \(times.filter { !$0.isFinite })")
        histograms = log.intervals.map(\.histogram)
    case 1:
        histograms = (try? HistogramEncoding.decompressed(Array(bytes))).map { [$0] } ?? []
    default:
        let deflated = HistogramEncoding.deflate(Array(bytes))
        var encoded: [UInt8] = []
        HistogramEncoding.appendBigEndian(UInt64(HistogramEncoding.compressedCookie), bytes: 4, to: &encoded)
        HistogramEncoding.appendBigEndian(UInt64(deflated.count), bytes: 4, to: &encoded)
        histograms = (try? HistogramEncoding.decompressed(encoded + deflated)).map { [$0] } ?? []
    }
    for histogram in histograms {
        let again = try? HistogramEncoding.decompressed(HistogramEncoding.compressed(histogram))
        precondition(again == histogram, "a decoded histogram does not survive its own encoding")
    }
}
