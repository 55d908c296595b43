import Foundation

/// A committed `bench compare` summary.csv that later runs are checked against (`results/baseline.csv`).
///
/// Loading validates it whole, so that every problem surfaces as a `CheckError` (exit 2) before any
/// measuring starts.
public struct Baseline: Sendable {
    /// Where the baseline was read from, as given; error messages name it.
    public let path: String
    /// The settings of the run that made the baseline; `bench check` reruns exactly this work.
    public var settings: CheckSettings { summary.settings }
    /// The validated rows, the samples a check compares with.
    let summary: SummaryRows
    /// Where the figures were measured, as its first row says: `git_commit` (the revision `bench check` measures
    /// again by default), `host` and `cpu_model` (empty in baselines older than that column).
    public let commit: String
    public let host: String
    public let cpuModel: String

    /// Reads and validates the baseline at `path`.
    /// - Throws: `CheckError` when the file is missing or unreadable, lacks a column, holds a garbled number,
    ///   mixes settings or has no `ok` row.
    public init(path: String) throws(CheckError) {
        guard FileManager.default.fileExists(atPath: path) else { throw .missingFile(path) }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadable(.baseline(path), error.localizedDescription)
        }
        try self.init(csv: text, source: path)
    }

    /// Validates baseline CSV `text`; `source` names it in error messages.
    public init(csv text: String, source: String) throws(CheckError) {
        let table: CSVTable
        do {
            table = try CSVReader.parse(text)
        } catch {
            throw .unreadable(.baseline(source), error.description)
        }
        try self.init(rows: table.records, source: source)
    }

    /// Validates summary rows already in memory, such as the rows `bench check --update` is about to write.
    public init(rows: [[String: String]], source: String) throws(CheckError) {
        summary = try SummaryRows(rows: rows, source: .baseline(source))
        guard !summary.repetitions.isEmpty else { throw .noSuccessfulRows(.baseline(source)) }
        path = source
        commit = rows[0]["git_commit"]?.trimmingSpaces ?? ""
        host = rows[0]["host"]?.trimmingSpaces ?? ""
        cpuModel = rows[0]["cpu_model"]?.trimmingSpaces ?? ""
    }
}
