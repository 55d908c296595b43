/// objectives.csv: one row per objective and row of the run (model, clients), with its limit, the figure measured and
/// the verdict, for a CI to read without parsing the printed table (docs/csv.md).
public enum ObjectivesCSV {
    public static let columns = ["model", "clients", "objective", "limit", "measured", "unit", "verdict"]

    /// objectives.csv, to be written beside the other files; none for a run without objectives.
    public static func files(_ verdicts: [ObjectiveVerdict]) -> [(name: String, table: CSVTable)] {
        guard !verdicts.isEmpty else { return [] }
        var table = CSVTable(columns: columns)
        for verdict in verdicts {
            table.append([
                "model": verdict.model, "clients": String(verdict.clients),
                "objective": verdict.objective.description,
                "limit": SummaryCSV.decimal(verdict.objective.limit, places: 6),
                "measured": verdict.figure.map { SummaryCSV.decimal($0, places: 6) } ?? "",
                "unit": verdict.objective.unit, "verdict": verdict.held ? "held" : "failed",
            ])
        }
        return [("objectives.csv", table)]
    }
}
