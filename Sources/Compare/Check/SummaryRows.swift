/// The rows of one `bench compare` run, validated: one set of settings, and for each model the `ok`
/// repetitions' figures with the machine floor each was measured against.
struct SummaryRows: Sendable {
    /// One successful repetition of one model.
    struct Repetition: Sendable {
        /// The raw figure of each metric, in the units of its column.
        let figures: [Metric: Double]
        /// The machine floor this repetition is normalized by, per second (connections or round trips, after the
        /// protocol): the median of the floors measured before every cell of the run.
        let floorPerSecond: Double

        func normalized(_ metric: Metric) -> Double {
            metric.normalize(figures[metric]!, floorPerSecond: floorPerSecond)
        }
    }

    let settings: CheckSettings
    /// The `ok` repetitions of each model; a model whose repetitions all failed is absent, and may be all of
    /// them.
    let repetitions: [String: [Repetition]]

    /// The columns that identify a row and say whether it succeeded.
    static let identity = ["model", "repetition", "status"]

    /// Validates `rows` of `source`, at least one; rows whose status is not `ok` keep their settings but not
    /// their figures, as a failed cell's figures may be empty.
    init(rows: [[String: String]], source: CheckError.Source) throws(CheckError) {
        // A client mix's profile rows are parts of their cell's row, which alone is compared.
        let readers = rows.enumerated().filter { ($1["profile"] ?? "").isEmpty }
            .map { RowReader(row: $1, number: $0 + 2, source: source) }
        for reader in readers {
            for column in Self.identity { _ = try reader.text(column) }
        }
        guard !readers.isEmpty else { throw .noSuccessfulRows(source) }
        settings = try CheckSettings(rows: readers)
        let floorColumn = Metric.floorColumn(for: settings.wireProtocol)
        var measured: [(model: String, figures: [Metric: Double], floor: Double)] = []
        for reader in readers {
            guard try reader.text("status") == "ok" else { continue }
            var figures: [Metric: Double] = [:]
            for metric in Metric.server {
                figures[metric] = try reader.double(metric.column(for: settings.wireProtocol))
            }
            measured.append((try reader.text("model"), figures, try reader.double(floorColumn, positive: true)))
        }
        // One floor for the whole run, the median of its measurements, not each cell's own: a short floor is noisy,
        // and a slow spell of the machine does not hit a cell and the floor 0.4 s before it alike, so per-cell
        // division raised false alarms on unchanged trees (docs/performance.md, "Behind the code").
        let floor = measured.map(\.floor).median ?? 1
        var repetitions: [String: [Repetition]] = [:]
        for row in measured {
            repetitions[row.model, default: []].append(Repetition(figures: row.figures, floorPerSecond: floor))
        }
        self.repetitions = repetitions
    }
}
