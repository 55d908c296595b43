/// timeline.csv: per second of each cell's measured window, the starts the open loop offered, the valid responses,
/// the failures and the p99.
public enum TimelineCSV {
    public static let columns = [
        "model", "protocol", "clients", "repetition", "second", "offered", "requests", "failures", "p99_us",
    ]

    public static func table(_ results: [CellResult]) -> CSVTable {
        var table = CSVTable(columns: columns)
        for result in results {
            guard let timeline = result.drive?.metrics.timeline else { continue }
            for (index, second) in timeline.seconds.enumerated() {
                table.append([
                    result.cell.model, result.settings.wireProtocol.rawValue, String(result.cell.clients),
                    String(result.cell.repetition), String(index + 1),
                    result.settings.offeredStarts(inSecond: index).map { SummaryCSV.decimal($0, places: 1) } ?? "",
                    String(second.requests),
                    String(second.failures), String(second.p99Micros),
                ])
            }
        }
        return table
    }
}
