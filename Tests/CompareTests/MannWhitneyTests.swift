import Testing

@testable import Compare

@Suite struct MannWhitneyTests {
    /// Expected U and p from scipy 1.17.1, `scipy.stats.mannwhitneyu(x, y)` with its defaults (two-sided,
    /// method "auto", continuity correction), e.g.
    /// `python3 -c "from scipy.stats import mannwhitneyu; print(mannwhitneyu([1,2,3,4,5], [6,7,8,9,10]))"`.
    struct Known: Sendable, CustomTestStringConvertible {
        let x: [Double]
        let y: [Double]
        let u: Double
        let pValue: Double
        let method: MannWhitney.Method
        var testDescription: String { "\(x) vs \(y)" }
    }

    static let known = [
        Known(x: [1, 2, 3, 4, 5], y: [6, 7, 8, 9, 10], u: 0, pValue: 0.007936507936507936, method: .exact),
        Known(x: [19, 22, 16, 29, 24], y: [20, 11, 17, 12], u: 17, pValue: 0.1111111111111111, method: .exact),
        Known(x: [3.1, 2.7, 4.4], y: [1.0, 5.2, 2.2], u: 6, pValue: 0.7, method: .exact),
        // Ties: the normal approximation with the tie-corrected variance.
        Known(x: [1, 2, 2, 3, 3, 3], y: [3, 4, 4, 5, 5, 6], u: 1.5, pValue: 0.008732768512539242,
              method: .normalApproximation),
        // No ties, but both samples above 8 values: the normal approximation.
        Known(x: [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46],
              y: [1.15, 0.88, 0.90, 0.74, 1.21, 1.02, 0.97, 1.13, 1.06, 0.99, 1.20, 0.85],
              u: 81, pValue: 0.17646171380243192, method: .normalApproximation),
    ]

    @Test(arguments: known)
    func matchesScipy(_ known: Known) {
        let result = MannWhitney.test(known.x, known.y)
        #expect(result.u == known.u)
        #expect(abs(result.pValue - known.pValue) < 1e-12)
        #expect(result.method == known.method)
    }

    @Test(arguments: known)
    func isSymmetricInItsSamples(_ known: Known) {
        let forward = MannWhitney.test(known.x, known.y)
        let backward = MannWhitney.test(known.y, known.x)
        #expect(abs(forward.pValue - backward.pValue) < 1e-12)
        #expect(forward.u + backward.u == Double(known.x.count * known.y.count))
    }

    @Test func theExactDistributionSumsToOne() {
        // P(U >= 0) is everything; for 4 against 5 there are C(9,4) = 126 arrangements, one with U = 20.
        #expect(MannWhitney.exactUpperTail(atLeast: 0, n1: 4, n2: 5) == 1)
        #expect(abs(MannWhitney.exactUpperTail(atLeast: 20, n1: 4, n2: 5) - 1.0 / 126) < 1e-15)
    }

    @Test func allEqualValuesAndEmptySamplesGiveNoEvidence() {
        #expect(MannWhitney.test([5, 5, 5, 5], [5, 5, 5]).pValue == 1)
        #expect(MannWhitney.test([], [1, 2, 3]).pValue == 1)
    }

    @Test func midranksShareTheMeanOfTiedRanks() {
        let (ranks, ties) = MannWhitney.midranks([10, 20, 10, 30, 10])
        #expect(ranks == [2, 4, 2, 5, 2])
        #expect(ties == [3])
    }
}
