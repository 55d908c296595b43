/// The outcome of comparing one metric of one model (or of the driver) with what it is checked against.
public struct Finding: Sendable, Equatable {
    /// What the comparison concluded.
    public enum Verdict: String, Sendable {
        /// Worse beyond the tolerance, and significant: fails the check.
        case regressed
        /// This build failed cells the other did not (or, from a file, none succeeded): fails the check.
        case failed
        /// Better beyond the tolerance, and significant.
        case improved
        /// Beyond the tolerance, but the test cannot tell it from noise.
        case notSignificant = "not significant"
        /// The medians differ by no more than the tolerance.
        case withinTolerance = "within tolerance"
        /// The build checked against could not run it (a model it does not have): nothing to compare.
        case notCompared = "not compared"
    }

    /// The server model, as in summary.csv's `model` column, or `driver`.
    public let model: String
    public let metric: Metric
    /// The unit of the raw medians (`conns/s`, `us`, ...).
    public let unit: String
    /// The median raw figure of what this build is checked against: the baseline's repetitions, or the other
    /// build's cells; nil when it has none.
    public let referenceMedian: Double?
    /// The median raw figure of this build's repetitions; `nil` when none succeeded.
    public let currentMedian: Double?
    /// The change, in percent (+100 is twice as large): of the floor-normalized medians against a file, of the
    /// median ratio of the pairs against a build; nil when there is nothing to compare.
    public let changePercent: Double?
    /// The test's p-value (Mann-Whitney against a file, Wilcoxon signed-rank over pairs); nil without samples.
    public let pValue: Double?
    public let verdict: Verdict
    /// Against a build: this build's figure over the other's, pair by pair, in run order; empty against a file.
    public var ratios: [Double] = []
    /// Why the verdict is `failed` or `not compared`, for people.
    public var note: String? = nil

    /// Whether this finding fails the check (exit 1).
    public var isRegression: Bool { verdict == .regressed || verdict == .failed }
}
