/// A results directory (`results/NAME/`): summary.csv, latency.csv, timeline.csv and meta.csv, each written
/// whole (``AtomicFile``), so rewriting them after every cell leaves whole files whenever a run is stopped.
public struct ResultsDirectory: Sendable {
    public let path: String
    /// The machine facts and settings of the run, for meta.csv, in order.
    public let meta: [(key: String, value: String)]
    public let facts: MachineFacts
    public let runUTC: String

    /// Creates the directory (and its parents) if needed.
    public init(path: String, facts: MachineFacts, runUTC: String, settings: [(key: String, value: String)])
        throws
    {
        try AtomicFile.makeDirectory(path)
        self.path = path
        self.facts = facts
        self.runUTC = runUTC
        meta = [("run_utc", runUTC)] + facts.entries + settings
    }

    /// Rewrites all four files from every result so far.
    public func write(_ results: [CellResult]) throws {
        var summary = CSVTable(columns: SummaryCSV.columns)
        for result in results { summary.append(SummaryCSV.row(result, facts: facts, runUTC: runUTC)) }
        var metaTable = CSVTable(columns: ["key", "value"])
        for entry in meta { metaTable.append([entry.key, entry.value]) }
        try AtomicFile.write(summary.render(), to: path + "/summary.csv")
        try AtomicFile.write(LatencyCSV.table(results).render(), to: path + "/latency.csv")
        try AtomicFile.write(TimelineCSV.table(results).render(), to: path + "/timeline.csv")
        try AtomicFile.write(metaTable.render(), to: path + "/meta.csv")
    }
}
