import Foundation

/// Renders findings as the plain-text table `bench check` prints when it fails (exit 1).
public enum FindingsTable {
    /// The column titles, in order.
    static let titles = ["model", "metric", "baseline", "now", "change", "p-value", "verdict"]

    /// A left-aligned table of `findings` with a header line, one line per finding, each line ending in a
    /// newline. The CLI passes the regressions alone, or every finding when asked to be verbose.
    ///
    /// `baseline` and `now` are the raw medians people know; `change` is that of the floor-normalized
    /// medians, which is what was judged, so it differs from the raw ratio when the machine floor moved.
    public static func render(_ findings: [Finding]) -> String {
        let lines = [titles] + findings.map(cells)
        let widths = titles.indices.map { column in lines.map { $0[column].count }.max()! }
        return lines.map { line in
            zip(line, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingSpaces + "\n"
        }.joined()
    }

    private static func cells(_ finding: Finding) -> [String] {
        [
            finding.model,
            finding.metric.rawValue,
            "\(figure(finding.baselineMedian)) \(finding.unit)",
            finding.currentMedian.map { "\(figure($0)) \(finding.unit)" } ?? "-",
            finding.changePercent.map { String(format: "%+.1f%%", $0) } ?? "-",
            finding.pValue.map { String(format: "%.3g", $0) } ?? "-",
            finding.verdict.rawValue,
        ]
    }

    /// Three significant digits at least, no exponent: 48213, 812, 20.4, 3.17.
    private static func figure(_ value: Double) -> String {
        String(format: abs(value) >= 100 ? "%.0f" : abs(value) >= 10 ? "%.1f" : "%.2f", value)
    }
}
