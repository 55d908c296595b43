import Testing

@testable import Compare

/// The expected p-values are scipy.stats.wilcoxon(differences, alternative=...) of scipy 1.17 (its defaults:
/// zeros dropped, no continuity correction; exact up to 50 differences, ties included).
@Suite struct WilcoxonSignedRankTests {
    @Test(arguments: [
        // No ties: the exact distribution over 2^8 sign patterns.
        ([0.12, -0.03, 0.08, 0.15, 0.02, 0.09, -0.01, 0.11], WilcoxonSignedRank.Alternative.greater, 0.02734375),
        ([0.12, -0.03, 0.08, 0.15, 0.02, 0.09, -0.01, 0.11], .less, 0.98046875),
        // All six below zero: the smallest p six differences can give, 2^-6.
        ([-0.2, -0.1, -0.3, -0.05, -0.15, -0.25], .less, 0.015625),
        ([-0.2, -0.1, -0.3, -0.05, -0.15, -0.25], .greater, 1),
        // Tied sizes (0.1 three times, 0.3 twice) and a zero, which is dropped: still exact, over 2^7.
        ([0.1, 0.1, -0.1, 0.2, 0.3, 0.3, 0.05, 0.0], .greater, 0.0390625),
        ([0.1, 0.1, -0.1, 0.2, 0.3, 0.3, 0.05, 0.0], .less, 0.984375),
    ])
    func exactPValuesMatchScipy(differences: [Double], alternative: WilcoxonSignedRank.Alternative, p: Double) {
        #expect(abs(WilcoxonSignedRank.test(differences, alternative).pValue - p) < 1e-12)
    }

    @Test func beyondFiftyTheNormalApproximationMatchesScipy() {
        // numpy.linspace(-1, 2, 60): 60 differences, so scipy uses the normal approximation (p = 1.3422e-4).
        let differences = (0..<60).map { -1 + 3 * Double($0) / 59 }
        let result = WilcoxonSignedRank.test(differences, .greater)
        #expect(abs(result.pValue - 0.00013422010817876632) < 1e-9)
        #expect(result.positiveRankSum == 1410)
    }

    @Test func nothingButZerosIsNoEvidence() {
        #expect(WilcoxonSignedRank.test([0, 0, 0], .greater).pValue == 1)
        #expect(WilcoxonSignedRank.test([], .less).count == 0)
    }

    @Test func theSmallestPValueIsHalfToTheCount() {
        let eight = WilcoxonSignedRank.test((1...8).map(Double.init), .greater).pValue
        #expect(eight == WilcoxonSignedRank.smallestPValue(count: 8) && eight == 1.0 / 256)
    }
}
