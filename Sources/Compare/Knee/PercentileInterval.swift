import Metrics

/// A percentile's 95% confidence interval from the histogram itself, with no assumption about the distribution: of n
/// samples, the order statistics at ranks n*q -+ 1.96 * sqrt(n*q*(1-q)) bracket the true q-quantile 95% of the time
/// (the binomial count of samples under it, normally approximated; a step holds thousands of samples).
enum PercentileInterval {
    static func of(_ histogram: LatencyHistogram, percentile: Double) -> ClosedRange<UInt64>? {
        let count = Double(histogram.count)
        guard count > 0 else { return nil }
        let quantile = percentile / 100
        let spread = 1.96 * (count * quantile * (1 - quantile)).squareRoot()
        // Ranks 1...n as percentiles of the histogram, the lower rounded down and the upper up.
        let lower = max(1, (count * quantile - spread).rounded(.down))
        let upper = min(count, (count * quantile + spread).rounded(.up))
        return histogram.micros(atPercentile: 100 * lower / count)...histogram.micros(atPercentile: 100 * upper / count)
    }
}
