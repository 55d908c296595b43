/// The outcome of comparing one metric of one model with the baseline.
public struct Finding: Sendable, Equatable {
    /// What the comparison concluded.
    public enum Verdict: String, Sendable {
        /// Worse beyond the tolerance, and significant: fails the check.
        case regressed
        /// No repetition of the model succeeded now, though the baseline has some: fails the check.
        case failed
        /// Better beyond the tolerance, and significant.
        case improved
        /// Beyond the tolerance, but Mann-Whitney cannot tell it from noise.
        case notSignificant = "not significant"
        /// The medians differ by no more than the tolerance.
        case withinTolerance = "within tolerance"
    }

    /// The server model, as in summary.csv's `model` column.
    public let model: String
    public let metric: Metric
    /// The unit of the raw medians (`conns/s`, `us`, ...).
    public let unit: String
    /// The median raw figure of the baseline's repetitions, for people.
    public let baselineMedian: Double
    /// The median raw figure of the current repetitions; `nil` when none succeeded.
    public let currentMedian: Double?
    /// The change of the floor-normalized medians, in percent of the baseline (+100 is twice as large).
    /// `nil` when no current repetition succeeded.
    public let changePercent: Double?
    /// The two-sided Mann-Whitney p-value of the normalized samples; `nil` when no current repetition
    /// succeeded.
    public let pValue: Double?
    public let verdict: Verdict

    /// Whether this finding fails the check (exit 1).
    public var isRegression: Bool { verdict == .regressed || verdict == .failed }
}
