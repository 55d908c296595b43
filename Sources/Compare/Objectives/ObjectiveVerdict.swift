import Driver

/// An objective judged on one row of a run: a model (or `bench drive`'s `--label`) at a client count, over its
/// repetitions, read as the comparison table reads them.
public struct ObjectiveVerdict: Sendable {
    public var model: String
    public var clients: Int
    public var objective: Objective
    /// In the objective's ``Objective/unit``; nil when the row measured nothing to judge: no sample of the latency (a
    /// connect in a window whose connections were all made in the warmup), no exchange ended, no cell finished.
    public var figure: Double?

    /// Held when the figure meets the objective; a row without a figure fails, since nothing shows that it held.
    public var held: Bool { figure.map(objective.holds) ?? false }

    /// Every objective judged on every row of `results`, row by row in the table's order, objectives in their order.
    public static func judge(_ objectives: [Objective], _ results: [CellResult]) -> [ObjectiveVerdict] {
        ComparisonTable.groups(results).flatMap { cells in
            objectives.map { objective in
                ObjectiveVerdict(
                    model: cells[0].cell.model, clients: cells[0].cell.clients, objective: objective,
                    figure: figure(of: objective, cells))
            }
        }
    }

    /// A latency percentile or an achieved share: the median over the row's finished cells, as the table's medians;
    /// errors: every cell's failures over every cell's exchanges, as the table sums failures.
    static func figure(of objective: Objective, _ cells: [CellResult]) -> Double? {
        let finished = cells.filter { $0.failure == nil }.compactMap(\.drive)
        switch objective {
        case .latency(let latency):
            return finished.compactMap { drive in
                let histogram = latency.histogram(drive.metrics)
                return histogram.count > 0 ? Double(histogram.micros(atPercentile: latency.percentile)) : nil
            }.median
        case .errors:
            let counters = cells.compactMap(\.drive).map(\.counters)
            let failures = counters.reduce(0) { $0 + $1.failures.total }
            let exchanges = counters.reduce(failures) { $0 + $1.requests }
            return exchanges > 0 ? 100 * Double(failures) / Double(exchanges) : nil
        case .achieved:
            return finished.compactMap { drive in drive.settings.offeredRate.map { drive.achievedRate / $0 } }.median
        }
    }
}
