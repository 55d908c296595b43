import SystemCalls

/// A results directory (`results/NAME/`): summary.csv, latency.csv, timeline.csv and meta.csv (and sizes.csv for a
/// size mix), each written
/// whole (``AtomicFile``), so rewriting them after every cell leaves whole files whenever a run is stopped.
public struct ResultsDirectory: Sendable {
    public let path: String
    /// The machine facts and settings of the run, for meta.csv, in order.
    public let meta: [(key: String, value: String)]
    public let facts: MachineFacts
    public let runUTC: String
    /// The machine's CPU times when the run began, for the steal over the whole run in meta.csv.
    private let startTimes = CPUTimes.now()

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

    /// The summary.csv rows of `results`: each cell's, then (in a client mix) one per profile.
    public func summaryRows(_ results: [CellResult]) -> [[String: String]] {
        results.flatMap { [$0] + $0.profiles }.map { SummaryCSV.row($0, facts: facts, runUTC: runUTC) }
    }

    /// Rewrites all four files from every result so far, and `extra` files (name, table) beside them, all or none.
    public func write(_ results: [CellResult], extra: [(name: String, table: CSVTable)] = []) throws {
        var summary = CSVTable(columns: SummaryCSV.columns)
        for row in summaryRows(results) { summary.append(row) }
        var metaTable = CSVTable(columns: ["key", "value"])
        let steal = CPUTimes.now().stealPercent(since: startTimes).map { SummaryCSV.decimal($0, places: 1) } ?? ""
        for entry in meta + [("steal_pct", steal)] { metaTable.append([entry.key, entry.value]) }
        var tables = [
            ("summary.csv", summary), ("latency.csv", LatencyCSV.table(results)),
            ("timeline.csv", TimelineCSV.table(results)), ("meta.csv", metaTable),
        ]
        if let sizes = SizesCSV.table(results) { tables.append(("sizes.csv", sizes)) }
        tables += extra.map { ($0.name, $0.table) }
        // As one: a full disk leaves every file at the same cell.
        try AtomicFile.write(tables.map { (path + "/" + $0.0, $0.1.render()) })
    }
}
