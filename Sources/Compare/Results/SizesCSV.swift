import Driver

/// sizes.csv, for a size mix: per cell and part of the mix, the part's valid responses and total latency, so that the
/// small requests of a mix can be told from the large ones (the head-of-line penalty is their p99).
public enum SizesCSV {
    public static let columns = [
        "model", "protocol", "clients", "repetition", "size_bytes", "share_pct", "requests",
    ] + SummaryCSV.percentiles.map { "total_\($0)_us" }

    /// Nil when no cell ran a mix.
    public static func table(_ results: [CellResult]) -> CSVTable? {
        guard results.contains(where: { !$0.settings.sizeMix.isEmpty }) else { return nil }
        var table = CSVTable(columns: columns)
        for result in results {
            guard let drive = result.drive else { continue }
            for (share, histogram) in zip(result.settings.sizeMix, drive.metrics.sizeLatency) {
                let summary = histogram.summary
                table.append([
                    result.cell.model, result.settings.wireProtocol.rawValue, String(result.cell.clients),
                    String(result.cell.repetition), share.sizeText, SummaryCSV.decimal(share.percent, places: 3),
                    String(summary.count),
                ] + [summary.p50Micros, summary.p90Micros, summary.p99Micros, summary.p999Micros, summary.maxMicros]
                    .map(String.init))
            }
        }
        return table
    }
}
