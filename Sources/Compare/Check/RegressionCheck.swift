import Wire

/// Decides whether the current repetitions of each model regressed against the baseline.
///
/// Each repetition's figures are first normalized by the median machine floor of its run, so a
/// machine that is uniformly slower today is not a regression. A metric then regresses only when both hold:
/// the median moved beyond `tolerance` in the bad direction (a change big enough to matter), and the
/// Mann-Whitney U test over the repetitions rejects "same distribution" at `alpha` (a change that is not
/// noise). Either alone misfires on a shared machine, whose identical runs differ widely from one run to the next.
public struct RegressionCheck: Sendable {
    /// The relative change of the median beyond which a metric may regress (0.15 is 15%).
    public var tolerance: Double
    /// The significance level of the Mann-Whitney test.
    public var alpha: Double

    /// 15%: identical runs of one machine differ widely from one run to the next, and a file's figures come from
    /// another run.
    public static let defaultTolerance = 0.15

    /// A check with the given tolerance and significance level.
    public init(tolerance: Double = Self.defaultTolerance, alpha: Double = 0.05) {
        self.tolerance = tolerance
        self.alpha = alpha
    }

    /// Compares `current`, the summary rows of a run of the baseline's settings, with `baseline`: one finding
    /// per model of the baseline with successful repetitions, per metric, in baseline order.
    /// - Throws: `CheckError` when the current rows are malformed or describe other work than the baseline.
    public func run(baseline: Baseline, current rows: [[String: String]]) throws(CheckError) -> [Finding] {
        let current = try SummaryRows(rows: rows, source: .currentRun)
        guard current.settings.sameWork(as: baseline.settings) else {
            throw CheckError("the current run used other settings than \(baseline.path); run the check with the "
                + "baseline's settings, or regenerate the baseline with `bench check --update`")
        }
        let wireProtocol = baseline.settings.wireProtocol
        var findings: [Finding] = []
        for model in baseline.settings.models {
            guard let before = baseline.summary.repetitions[model] else { continue }
            let now = current.repetitions[model] ?? []
            for metric in Metric.server {
                findings.append(compare(model: model, metric: metric, wireProtocol: wireProtocol, before, now))
            }
        }
        return findings
    }

    private func compare(
        model: String, metric: Metric, wireProtocol: WireProtocol,
        _ before: [SummaryRows.Repetition], _ now: [SummaryRows.Repetition]
    ) -> Finding {
        let baselineMedian = before.map { $0.figures[metric]! }.median!
        guard !now.isEmpty else {
            return Finding(
                model: model, metric: metric, unit: metric.unit(for: wireProtocol), referenceMedian: baselineMedian,
                currentMedian: nil, changePercent: nil, pValue: nil, verdict: .failed)
        }
        let normalizedBefore = before.map { $0.normalized(metric) }
        let normalizedNow = now.map { $0.normalized(metric) }
        let change = Self.relativeChange(from: normalizedBefore.median!, to: normalizedNow.median!)
        let pValue = MannWhitney.test(normalizedBefore, normalizedNow).pValue
        let worse = metric.higherIsBetter ? change < -tolerance : change > tolerance
        let better = metric.higherIsBetter ? change > tolerance : change < -tolerance
        let verdict: Finding.Verdict =
            switch (worse || better, pValue < alpha) {
            case (false, _): .withinTolerance
            case (true, false): .notSignificant
            case (true, true): worse ? .regressed : .improved
            }
        return Finding(
            model: model, metric: metric, unit: metric.unit(for: wireProtocol), referenceMedian: baselineMedian,
            currentMedian: now.map { $0.figures[metric]! }.median, changePercent: change * 100,
            pValue: pValue, verdict: verdict)
    }

    /// `new / old - 1`; from a zero baseline any rise is infinite and no rise is no change.
    private static func relativeChange(from old: Double, to new: Double) -> Double {
        old == 0 ? (new == 0 ? 0 : .infinity) : new / old - 1
    }
}
