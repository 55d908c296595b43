import Metrics

/// latency.csv: the percentile spectrum of each (model, clients), every repetition's histogram merged, for the
/// classic HdrHistogram plot (x = 1/(1-p), so the tail gets the room).
public enum LatencyCSV {
    public static let columns = [
        "model", "protocol", "clients", "repetitions", "metric", "percentile", "value_us", "count_at_or_below",
        "inverse_tail",
    ]

    public static func table(_ results: [CellResult]) -> CSVTable {
        var table = CSVTable(columns: columns)
        var keys: [String] = []
        var groups: [String: [CellResult]] = [:]
        for result in results where result.drive != nil {
            let key = "\(result.cell.model) \(result.cell.clients)"
            if groups[key] == nil { keys.append(key) }
            groups[key, default: []].append(result)
        }
        for key in keys {
            let group = groups[key]!
            let first = group[0]
            for (metric, histogram) in merged(group) {
                for point in histogram.spectrum {
                    let tail = 1 - point.percentile / 100
                    table.append([
                        first.cell.model, first.settings.wireProtocol.rawValue, String(first.cell.clients),
                        String(group.count), metric, SummaryCSV.decimal(point.percentile, places: 6),
                        String(point.latencyMicros), String(point.totalCount),
                        tail > 0 ? SummaryCSV.decimal(1 / tail, places: 3) : "",
                    ])
                }
            }
        }
        return table
    }

    /// Each latency histogram of the group's cells added together, under its metric name.
    private static func merged(_ group: [CellResult]) -> [(String, LatencyHistogram)] {
        var connect = LatencyHistogram()
        var firstByte = LatencyHistogram()
        var total = LatencyHistogram()
        var uncorrected: LatencyHistogram?
        for metrics in group.compactMap({ $0.drive?.metrics }) {
            connect.merge(metrics.connectLatency)
            firstByte.merge(metrics.firstByteLatency)
            total.merge(metrics.totalLatency)
            if let theirs = metrics.uncorrectedLatency { uncorrected = (uncorrected ?? .init()).merged(with: theirs) }
        }
        let named = [("connect", connect), ("first_byte", firstByte), ("total", total)]
        return named + (uncorrected.map { [("uncorrected", $0)] } ?? [])
    }
}
