import Foundation

/// The one-sample Wilcoxon signed-rank test: is the median of `differences` beyond zero in a given direction?
///
/// `bench check --against` measures the two builds in pairs, one right after the other, so that a slow spell of the
/// machine hits both sides of a pair alike; the paired differences (log ratios) then carry the change, and a rank
/// test over them needs no assumption of normality (benchmark figures have long tails).
///
/// Which p-value, and why (the rule of scipy.stats.wilcoxon's `method="auto"` with its default `zero_method="wilcox"`
/// and no continuity correction, so that its figures are the reference for the tests):
/// - zero differences are dropped: they say nothing about the direction;
/// - exact, from the null distribution of the rank sum, when at most 50 remain: every difference is positive or
///   negative with probability 1/2, tied |differences| sharing the mean of their ranks (scipy's permutation test
///   there gives the same figure);
/// - otherwise the normal approximation, with the variance corrected for ties.
public enum WilcoxonSignedRank {
    /// The direction the test looks for.
    public enum Alternative: Sendable {
        /// The median difference is above zero.
        case greater
        /// The median difference is below zero.
        case less
    }

    /// The outcome of one test.
    public struct Result: Sendable, Equatable {
        /// The sum of the ranks of the positive differences.
        public let positiveRankSum: Double
        /// The one-sided p-value, in [0, 1].
        public let pValue: Double
        /// Differences left after the zeros were dropped.
        public let count: Int
    }

    /// The largest count for which the exact distribution is used.
    static let exactLimit = 50

    /// Tests `differences` for a median beyond zero in the `alternative` direction. No nonzero difference carries
    /// no evidence: p is 1.
    public static func test(_ differences: [Double], _ alternative: Alternative) -> Result {
        let nonzero = differences.filter { $0 != 0 }
        let n = nonzero.count
        guard n > 0 else { return Result(positiveRankSum: 0, pValue: 1, count: 0) }
        let (ranks, tieSizes) = MannWhitney.midranks(nonzero.map(abs))
        let positive = zip(nonzero, ranks).reduce(0.0) { $0 + ($1.0 > 0 ? $1.1 : 0) }
        let total = Double(n * (n + 1)) / 2
        // For `less`, the sum of the negative ranks plays the part of the positive one.
        let observed = alternative == .greater ? positive : total - positive
        if n <= exactLimit {
            let p = exactUpperTail(atLeast: observed, ranks: ranks)
            return Result(positiveRankSum: positive, pValue: p, count: n)
        }
        let tieTerm = tieSizes.reduce(0.0) { $0 + Double($1 * $1 * $1 - $1) }
        let variance = Double(n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48
        guard variance > 0 else { return Result(positiveRankSum: positive, pValue: 1, count: n) }
        let z = (observed - total / 2) / variance.squareRoot()
        let p = erfc(z / 2.0.squareRoot()) / 2  // the upper tail of the standard normal
        return Result(positiveRankSum: positive, pValue: min(1, p), count: n)
    }

    /// The smallest p-value `count` differences can give: all of them in the tested direction.
    public static func smallestPValue(count: Int) -> Double {
        count == 0 ? 1 : pow(0.5, Double(count))
    }

    /// P(sum of positive ranks >= `value`) under the null hypothesis: each of `ranks` counts positive or negative
    /// with probability 1/2, so the sum's distribution counts the subsets of `ranks` by their sum. Midranks are
    /// multiples of 1/2, so the sums are counted in halves, as whole numbers.
    static func exactUpperTail(atLeast value: Double, ranks: [Double]) -> Double {
        let halves = ranks.map { Int(($0 * 2).rounded()) }
        let largest = halves.reduce(0, +)
        var subsets = [Double](repeating: 0, count: largest + 1)
        subsets[0] = 1
        for rank in halves {
            for sum in stride(from: largest, through: rank, by: -1) { subsets[sum] += subsets[sum - rank] }
        }
        let total = subsets.reduce(0, +)
        let first = min(max(Int((value * 2).rounded()), 0), largest)  // a rank sum never exceeds `largest`
        return subsets[first...].reduce(0, +) / total
    }
}
