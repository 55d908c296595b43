import Foundation
import Wire

/// Decides, from the summary rows of a paired run (`bench check --against`), whether this build regressed against
/// the other: per model (and for the driver), per metric, over the pairs of cells that ran one right after the other.
///
/// Each pair gives a ratio, this build's figure over the other's, so a slow spell of the machine that hits both cells
/// of a pair cancels out. A metric regresses when the Wilcoxon signed-rank test says the log ratios lie beyond the
/// tolerance in the bad direction, at `alpha`: the change must be both larger than the tolerance and consistent
/// over the pairs. Testing against the tolerance, not against no change, is what keeps a dozen findings per run
/// from raising false alarms on small differences that are real but do not matter.
public struct PairedCheck: Sendable {
    /// The relative change beyond which a metric may regress (0.05 is 5%).
    public var tolerance: Double
    /// The significance level of each one-sided test.
    public var alpha: Double

    /// The default tolerance: the smallest that kept 10 runs of the unchanged tree free of false alarms on this
    /// project's 2-core machine (docs/check.md, "Sensitivity and false alarms, measured").
    public static let defaultTolerance = 0.05
    public static let defaultAlpha = 0.05
    /// Pairs per model by default: 8 let a consistent change reach p = 0.0039 (2^-8), well under `alpha`.
    public static let defaultPairs = 8

    public init(tolerance: Double = Self.defaultTolerance, alpha: Double = Self.defaultAlpha) {
        self.tolerance = tolerance
        self.alpha = alpha
    }

    /// The builds as the rows' `build` column names them; `reference`: the C reference server, in the place of a model
    /// the other build lacks.
    static let current = ComparePlan.Cell.Build.current.rawValue
    static let against = ComparePlan.Cell.Build.against.rawValue
    static let reference = ComparePlan.Cell.Build.reference.rawValue
    /// The `model` column of the driver's pairs.
    static let driverSubject = ComparePlan.Cell.Subject.driver.description

    /// One finding per subject (model or driver, in the rows' order) and metric; a subject in `alone` (name and
    /// reason, ``PairedRun/alone``) ran in this build alone and is not compared, for that reason.
    /// - Throws: `CheckError` when a row lacks a column or holds a garbled figure (a bug in bench: the rows are
    ///   its own).
    public func run(rows: [[String: String]], wireProtocol: WireProtocol, alone: [String: String] = [:])
        throws(CheckError) -> [Finding]
    {
        var subjects: [String] = []
        var cells: [String: [Int: [String: RowReader]]] = [:]  // subject -> repetition -> build -> row
        for (index, row) in rows.enumerated() {
            let reader = RowReader(row: row, number: index + 2, source: .currentRun)
            let subject = try reader.text("model")
            if !subjects.contains(subject) { subjects.append(subject) }
            cells[subject, default: [:]][try reader.int("repetition"), default: [:]][try reader.text("build")] = reader
        }
        var findings: [Finding] = []
        for subject in subjects {
            let metrics = subject == Self.driverSubject ? Metric.driver : Metric.server
            let repetitions = cells[subject]!.keys.sorted()
            var pairs: [(against: RowReader, current: RowReader)] = []
            var failed = (current: 0, against: 0)
            var skipped: String?
            let other = cells[subject]!.values.contains { $0[Self.reference] != nil } ? Self.reference : Self.against
            for repetition in repetitions {
                let builds = cells[subject]![repetition]!
                let current = try Self.succeeded(builds[Self.current])
                let against = try Self.succeeded(builds[other])
                if current == nil { failed.current += 1 }
                let status = try builds[Self.current]?.text("status")
                if let status, status.hasPrefix(CellResult.skippedStatus) { skipped = status }
                if against == nil { failed.against += 1 }
                if let current, let against { pairs.append((against, current)) }
            }
            for metric in metrics {
                // A model this system refuses is not a regression: its rows say why it was skipped.
                if let reason = alone[subject] ?? skipped {
                    findings.append(Finding(
                        model: subject, metric: metric, unit: metric.unit(for: wireProtocol), referenceMedian: nil,
                        currentMedian: nil, changePercent: nil, pValue: nil, verdict: .notCompared, note: reason))
                    continue
                }
                var finding = try judge(
                    subject, metric, wireProtocol: wireProtocol, pairs: pairs, failed: failed,
                    cells: repetitions.count)
                if other == Self.reference { finding = Self.againstReference(finding) }
                findings.append(finding)
            }
        }
        return findings
    }

    /// A model the other build lacks, paired with the reference server: its figures beside the reference's, which say
    /// where it stands, and no verdict, since the two are different servers.
    private static func againstReference(_ finding: Finding) -> Finding {
        guard finding.verdict != .failed else { return finding }
        var result = Finding(
            model: finding.model, metric: finding.metric, unit: finding.unit, referenceMedian: finding.referenceMedian,
            currentMedian: finding.currentMedian, changePercent: finding.changePercent, pValue: nil,
            verdict: .notCompared)
        result.ratios = finding.ratios
        let ratio = finding.ratios.median.map { String(format: "%.2fx", $0) } ?? "no figure"
        result.note = "not in the other build: against refserver, \(ratio)"
        return result
    }

    /// `row` when it is there and its status is `ok`.
    private static func succeeded(_ row: RowReader?) throws(CheckError) -> RowReader? {
        guard let row, try row.text("status") == "ok" else { return nil }
        return row
    }

    private func judge(
        _ subject: String, _ metric: Metric, wireProtocol: WireProtocol, pairs: [(against: RowReader, current: RowReader)],
        failed: (current: Int, against: Int), cells: Int
    ) throws(CheckError) -> Finding {
        let values = pairs.compactMap {
            metric.figures(against: $0.against.row, current: $0.current.row, wireProtocol: wireProtocol)
        }
        func finding(_ verdict: Finding.Verdict, change: Double? = nil, p: Double? = nil, note: String? = nil)
            -> Finding
        {
            var finding = Finding(
                model: subject, metric: metric, unit: metric.unit(for: wireProtocol),
                referenceMedian: values.map(\.against).median, currentMedian: values.map(\.current).median,
                changePercent: change.map { $0 * 100 }, pValue: p, verdict: verdict)
            finding.ratios = values.map { $0.current / $0.against }
            finding.note = note
            return finding
        }
        if failed.against == cells {
            return finding(.notCompared, note: "the other build ran none of its \(cells) cells")
        }
        // One stray failure (a server that missed its start deadline in a slow moment) is not yet a pattern.
        if failed.current > failed.against + 1 {
            return finding(.failed, note: "\(failed.current) of \(cells) cells failed here, \(failed.against) there")
        }
        guard !values.isEmpty else { return finding(.notCompared, note: "no figure in both builds' rows") }
        let logs = values.map { log($0.current / $0.against) }
        let change = exp(logs.median!) - 1
        // Log ratios beyond log(1 - tolerance) below, or log(1 + tolerance) above, are changes beyond the tolerance.
        let below = WilcoxonSignedRank.test(logs.map { $0 - log(1 - tolerance) }, .less).pValue
        let above = WilcoxonSignedRank.test(logs.map { $0 - log(1 + tolerance) }, .greater).pValue
        let (worse, better) = metric.higherIsBetter ? (below, above) : (above, below)
        if worse < alpha { return finding(.regressed, change: change, p: worse) }
        if better < alpha { return finding(.improved, change: change, p: better) }
        let beyond = abs(change) > tolerance
        let p = (change < 0) == metric.higherIsBetter ? worse : better
        return finding(beyond ? .notSignificant : .withinTolerance, change: change, p: p)
    }
}
