import Foundation

/// The two-sided Mann-Whitney U test: are two samples drawn from the same distribution?
///
/// `bench check` compares 5-10 repetitions per side, and benchmark figures are far from normal (long tails,
/// a slow repetition when a neighbour builds), so a rank test fits where a t-test would not.
///
/// Which p-value, and why (the same rule as scipy.stats.mannwhitneyu's `method="auto"`, so its figures are
/// the reference for the tests):
/// - exact, from the null distribution of U, when there are no ties and the smaller sample has at most
///   8 values: the normal curve is poor for so few values, and the exact count is cheap there;
/// - otherwise the normal approximation, with the variance corrected for ties and a continuity
///   correction of 1/2: the exact distribution above counts arrangements of distinct ranks and is wrong
///   once values tie, and for larger samples the approximation is good.
public enum MannWhitney {
    /// How the p-value was obtained.
    public enum Method: Sendable, Equatable {
        case exact
        case normalApproximation
    }

    /// The outcome of one test.
    public struct Result: Sendable, Equatable {
        /// U of the first sample: the number of pairs (x, y) with x > y, ties counting one half.
        public let u: Double
        /// The two-sided p-value, in [0, 1].
        public let pValue: Double
        /// Which distribution the p-value came from.
        public let method: Method
    }

    /// The largest smaller-sample size for which the exact distribution is used.
    static let exactLimit = 8

    /// Tests `x` against `y`. An empty sample carries no evidence: p is 1.
    public static func test(_ x: [Double], _ y: [Double]) -> Result {
        let n1 = x.count
        let n2 = y.count
        guard n1 > 0, n2 > 0 else { return Result(u: 0, pValue: 1, method: .exact) }
        let (ranks, tieSizes) = midranks(x + y)
        let u1 = ranks[..<n1].reduce(0, +) - Double(n1 * (n1 + 1)) / 2
        let larger = max(u1, Double(n1 * n2) - u1)
        if tieSizes.isEmpty && min(n1, n2) <= exactLimit {
            let p = exactUpperTail(atLeast: Int(larger.rounded()), n1: min(n1, n2), n2: max(n1, n2))
            return Result(u: u1, pValue: min(1, 2 * p), method: .exact)
        }
        let n = Double(n1 + n2)
        let tieTerm = tieSizes.reduce(0.0) { $0 + Double($1 * $1 * $1 - $1) }
        let variance = Double(n1 * n2) / 12 * ((n + 1) - tieTerm / (n * (n - 1)))
        // All values equal: no ordering at all, so no evidence of a difference.
        guard variance > 0 else { return Result(u: u1, pValue: 1, method: .normalApproximation) }
        let z = (larger - Double(n1 * n2) / 2 - 0.5) / variance.squareRoot()
        let p = erfc(z / 2.0.squareRoot())  // 2 x the upper tail of the standard normal
        return Result(u: u1, pValue: min(1, p), method: .normalApproximation)
    }

    /// The rank of each value in `values` (1-based, tied values sharing the mean of their ranks) and the
    /// size of every group of ties.
    static func midranks(_ values: [Double]) -> (ranks: [Double], tieSizes: [Int]) {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var tieSizes: [Int] = []
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && values[order[end]] == values[order[start]] { end += 1 }
            let meanRank = Double(start + 1 + end) / 2
            for position in start..<end { ranks[order[position]] = meanRank }
            if end - start > 1 { tieSizes.append(end - start) }
            start = end
        }
        return (ranks, tieSizes)
    }

    /// P(U >= u) under the null hypothesis for samples of n1 and n2 distinct values.
    ///
    /// The number of arrangements giving each U is a coefficient of the Gaussian binomial
    /// [n1+n2 choose n1](q) = prod over i in 1...n1 of (1 - q^(n2+i)) / (1 - q^i); each factor is applied as
    /// one multiplication and one exact division, so every intermediate is itself such a polynomial.
    static func exactUpperTail(atLeast u: Int, n1: Int, n2: Int) -> Double {
        var counts = [Double](repeating: 0, count: n1 * n2 + 1)
        counts[0] = 1
        for i in 1...n1 {
            for k in stride(from: counts.count - 1, through: n2 + i, by: -1) { counts[k] -= counts[k - n2 - i] }
            for k in i..<counts.count { counts[k] += counts[k - i] }
        }
        let total = counts.reduce(0, +)
        return counts[min(u, counts.count)...].reduce(0, +) / total
    }
}
