/// The verdicts as `bench drive` and `bench compare` print them, under the summary or the tables: a line per row
/// (model and clients, as the comparison table's), a column per objective headed by it, each cell the verdict and the
/// figure. A column per objective rather than a line per verdict, so that a model that misses one stands out down its
/// column; five objectives such as `p99<10ms` still fit in 120 columns.
public enum ObjectivesTable {
    /// The table and a closing line; empty without verdicts.
    public static func render(_ verdicts: [ObjectiveVerdict]) -> String {
        guard let first = verdicts.first else { return "" }
        let objectives = verdicts.prefix { $0.model == first.model && $0.clients == first.clients }.map(\.objective)
        var lines = [["objectives", "clients"] + objectives.map(\.description)]
        for start in stride(from: 0, to: verdicts.count, by: objectives.count) {
            let row = verdicts[start..<start + objectives.count]
            lines.append([row.first!.model, String(row.first!.clients)] + row.map { verdict in
                (verdict.held ? "held " : "FAILED ") + (verdict.figure.map(verdict.objective.format) ?? "-")
            })
        }
        let failed = verdicts.filter { !$0.held }.count
        let conclusion = failed == 0
            ? "objectives: all \(verdicts.count) held\n"
            : "objectives: \(failed) of \(verdicts.count) FAILED\n"
        return ComparisonTable.align(lines, left: Set(lines[0].indices)) + conclusion
    }
}
