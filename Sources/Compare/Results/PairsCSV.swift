import Foundation
import Wire

/// pairs.csv of `bench check --against`: every pair of cells, per subject and metric, with both builds' figures,
/// their ratio and which build ran first, so that a verdict can be recomputed or plotted.
public enum PairsCSV {
    public static let columns = [
        "model", "metric", "repetition", "against", "current", "ratio", "first",
    ]

    /// `rows` are the run's summary rows in run order; `wireProtocol` picks the throughput column.
    public static func table(_ rows: [[String: String]], wireProtocol: WireProtocol) -> CSVTable {
        var table = CSVTable(columns: columns)
        var order: [String] = []
        var cells: [String: [String: (index: Int, row: [String: String])]] = [:]
        for (index, row) in rows.enumerated() where row["status"] == "ok" {
            let key = "\(row["model"] ?? "")\u{1f}\(row["repetition"] ?? "")"
            if cells[key] == nil { order.append(key) }
            cells[key, default: [:]][row["build"] ?? ""] = (index, row)
        }
        for key in order {
            guard let current = cells[key]?[PairedCheck.current], let against = cells[key]?[PairedCheck.against]
            else { continue }
            let model = current.row["model"] ?? ""
            for metric in model == PairedCheck.driverSubject ? Metric.driver : Metric.server {
                guard let (before, now) = metric.figures(
                    against: against.row, current: current.row, wireProtocol: wireProtocol)
                else { continue }
                table.append([
                    model, metric.rawValue, current.row["repetition"] ?? "", SummaryCSV.decimal(before, places: 2),
                    SummaryCSV.decimal(now, places: 2), SummaryCSV.decimal(now / before, places: 4),
                    current.index < against.index ? PairedCheck.current : PairedCheck.against,
                ])
            }
        }
        return table
    }
}
