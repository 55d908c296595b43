/// soak.csv (a verdict per model, side and series; docs/csv.md) and the table `bench soak` prints.
public enum SoakCSV {
    public static let columns = [
        "model", "capacity_per_s", "rate_per_s", "process", "metric", "samples", "mean", "growth", "bound", "verdict",
    ]

    public static func table(_ models: [SoakModel]) -> CSVTable {
        var table = CSVTable(columns: columns)
        for model in models {
            let rates = [
                model.capacity.map { SummaryCSV.decimal($0, places: 1) } ?? "",
                model.rate.map { SummaryCSV.decimal($0, places: 1) } ?? "",
            ]
            guard model.result.failure == nil else {
                table.append([model.model] + rates + ["", "", "", "", "", "", model.result.status])
                continue
            }
            for (process, verdict) in model.verdicts {
                table.append([model.model] + rates + [
                    process.rawValue, verdict.metric.rawValue, String(verdict.samples),
                    SummaryCSV.decimal(verdict.mean, places: 1), verdict.growth.map { SummaryCSV.decimal($0, places: 1) } ?? "",
                    SummaryCSV.decimal(verdict.bound, places: 1), verdict.word,
                ])
            }
        }
        return table
    }

    /// The verdicts as a table: a line per model, side and series, memory in MiB; a model not soaked gets one line
    /// with its reason.
    public static func render(_ models: [SoakModel]) -> String {
        var lines = [["model", "capacity/s", "rate/s", "process", "series", "mean", "growth", "bound", "verdict"]]
        for model in models {
            let rates = [ComparisonTable.number(model.capacity), ComparisonTable.number(model.rate)]
            guard model.result.failure == nil else {
                lines.append([model.model] + rates + ["-", "-", "-", "-", "-", model.result.status])
                continue
            }
            for (process, verdict) in model.verdicts {
                let memory = verdict.metric == .rss
                func figure(_ value: Double) -> String {
                    memory ? SummaryCSV.decimal(value / 1_048_576, places: 2) + " MiB" : SummaryCSV.decimal(value, places: 1)
                }
                let growth = verdict.growth.map { ($0 >= 0 ? "+" : "") + figure($0) } ?? "-"
                let name = memory ? "rss" : verdict.metric.rawValue
                lines.append([
                    model.model] + rates + [process.rawValue, name, figure(verdict.mean), growth, figure(verdict.bound),
                    verdict.word,
                ])
            }
        }
        return ComparisonTable.align(lines, left: [0, 3, 4, 8])
    }

    /// What the driver saw in each model's soak, a line each, from its summary.csv row.
    public static func loadLines(_ models: [SoakModel]) -> String {
        models.compactMap { model -> String? in
            guard let row = model.result.childSummary else { return nil }
            func number(_ column: String) -> Double { Double(row[column] ?? "") ?? 0 }
            let failures = Int(number("failures_server") + number("failures_local"))
            let idle = row["idle_clients"].flatMap { $0 == "0" || $0.isEmpty ? nil : $0 }
            let slow = row["slow_clients"].flatMap { $0 == "0" || $0.isEmpty ? nil : $0 }
            let beside = [idle.map { "\($0) idle" }, slow.map { "\($0) slow" }].compactMap { $0 }
            return "\(model.model): \(ComparisonTable.number(model.rate))/s offered for "
                + "\(SummaryCSV.decimal(number("elapsed_s"), places: 0)) s, \(ComparisonTable.number(number("conns_per_s"))) conn/s, "
                + "\(ComparisonTable.number(number("requests_per_s"))) req/s, p99 "
                + "\(ComparisonTable.millis(number("total_p99_us"))) ms, \(failures) failures"
                + (beside.isEmpty ? "" : " (beside: " + beside.joined(separator: ", ") + ")") + "\n"
        }.joined()
    }
}
