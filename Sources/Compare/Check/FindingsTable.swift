import Foundation

/// Renders findings as the plain-text table `bench check` prints.
public enum FindingsTable {
    /// A left-aligned table of `findings` with a header line, one line per finding, each line ending in a newline.
    /// `reference` and `current` title the two columns of raw medians (`baseline` and `now` against a file, the
    /// other build's label and `this tree` against a build); pairs, when there are any, get a column of their ratios.
    ///
    /// Against a file, `change` is that of the floor-normalized medians, which is what was judged, so it differs
    /// from the raw ratio when the machine floor moved; against a build, it is the median ratio of the pairs.
    public static func render(_ findings: [Finding], reference: String = "baseline", current: String = "now")
        -> String
    {
        let paired = findings.contains { !$0.ratios.isEmpty }
        let titles = ["model", "metric", reference, current, "change", "p-value", "verdict"] + (paired ? ["pairs"] : [])
        let lines = [titles] + findings.map { cells($0, paired: paired) }
        let widths = titles.indices.map { column in lines.map { $0[column].count }.max()! }
        return lines.map { line in
            zip(line, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingSpaces + "\n"
        }.joined()
    }

    private static func cells(_ finding: Finding, paired: Bool) -> [String] {
        var verdict = finding.verdict.rawValue
        if let note = finding.note { verdict += " (\(note))" }
        var cells = [finding.model, finding.metric.rawValue]
        cells.append(finding.referenceMedian.map { "\(figure($0)) \(finding.unit)" } ?? "-")
        cells.append(finding.currentMedian.map { "\(figure($0)) \(finding.unit)" } ?? "-")
        cells.append(finding.changePercent.map { String(format: "%+.1f%%", $0) } ?? "-")
        cells.append(finding.pValue.map { String(format: "%.3g", $0) } ?? "-")
        cells.append(verdict)
        if paired { cells.append(finding.ratios.map { String(format: "%.2f", $0) }.joined(separator: " ")) }
        return cells
    }

    /// Three significant digits at least, no exponent: 48213, 812, 20.4, 3.17.
    private static func figure(_ value: Double) -> String {
        String(format: abs(value) >= 100 ? "%.0f" : abs(value) >= 10 ? "%.1f" : "%.2f", value)
    }
}
