import Driver

/// knee.csv (every step of every search) and capacity.csv (one row per model), docs/csv.md.
public enum KneeCSV {
    public static let stepColumns = [
        "model", "step", "phase", "offered_per_s", "achieved_per_s", "window_s", "requests", "total_p50_us",
        "total_p99_us", "total_p999_us", "objective", "objective_us", "percentile_us", "interval_low_us",
        "interval_high_us", "first_half_us", "second_half_us", "first_half_per_s", "second_half_per_s",
        "failures_server", "server_cpu_us_per_request", "driver_bound", "server_bound", "bound", "verdict",
    ]

    public static let capacityColumns = [
        "model", "objective", "capacity_per_s", "total_p50_us", "total_p99_us", "server_cpu_us_per_request", "bound",
        "steps", "status",
    ]

    public static func steps(_ steps: [KneeStep]) -> CSVTable {
        var table = CSVTable(columns: stepColumns)
        for step in steps {
            let drive = step.result.drive
            let latency = drive?.metrics.totalLatency
            var row: [String: String] = [
                "model": step.model, "step": String(step.index), "phase": step.phase.rawValue,
                "offered_per_s": SummaryCSV.decimal(step.offered, places: 1),
                "achieved_per_s": SummaryCSV.decimal(step.achieved, places: 1),
                "window_s": SummaryCSV.decimal(drive?.elapsedSeconds ?? 0, places: 3),
                "requests": String(drive?.counters.requests ?? 0),
                "total_p50_us": latency.map { String($0.micros(atPercentile: 50)) } ?? "",
                "total_p99_us": latency.map { String($0.micros(atPercentile: 99)) } ?? "",
                "total_p999_us": latency.map { String($0.micros(atPercentile: 99.9)) } ?? "",
                "objective": step.objective.description, "objective_us": String(step.objective.micros),
                "percentile_us": String(step.percentileMicros),
                "interval_low_us": step.interval.map { String($0.lowerBound) } ?? "",
                "interval_high_us": step.interval.map { String($0.upperBound) } ?? "",
                "failures_server": String(drive?.counters.failures.serverSide ?? 0),
                "server_cpu_us_per_request": step.result.serverCPUMicrosPerRequest.map {
                    SummaryCSV.decimal($0, places: 2)
                } ?? "",
                "driver_bound": step.result.driverHealth.map { $0.isBound ? "yes" : "no" } ?? "",
                "server_bound": step.result.serverBound.map { $0 ? "yes" : "no" } ?? "",
                "bound": step.result.bound?.rawValue ?? "", "verdict": step.verdict.rawValue,
            ]
            if let halves = step.halves {
                row["first_half_us"] = String(halves.first.micros)
                row["second_half_us"] = String(halves.second.micros)
                // With the percentiles, what an unsteady verdict came from.
                row["first_half_per_s"] = SummaryCSV.decimal(halves.first.rate, places: 1)
                row["second_half_per_s"] = SummaryCSV.decimal(halves.second.rate, places: 1)
            }
            table.append(row)
        }
        return table
    }

    public static func capacities(_ capacities: [KneeCapacity]) -> CSVTable {
        var table = CSVTable(columns: capacityColumns)
        for capacity in capacities { table.append(row(capacity)) }
        return table
    }

    /// A model's capacity.csv row: its capacity, and the figures of the step that showed it.
    static func row(_ capacity: KneeCapacity) -> [String: String] {
        var row = [
            "model": capacity.model, "objective": capacity.objective.description, "steps": String(capacity.steps),
            "status": capacity.failure.map { "failed: " + $0 } ?? "ok",
        ]
        guard let step = capacity.step, let latency = step.result.drive?.metrics.totalLatency else { return row }
        row["capacity_per_s"] = SummaryCSV.decimal(step.offered, places: 1)
        row["total_p50_us"] = String(latency.micros(atPercentile: 50))
        row["total_p99_us"] = String(latency.micros(atPercentile: 99))
        row["server_cpu_us_per_request"] =
            step.result.serverCPUMicrosPerRequest.map { SummaryCSV.decimal($0, places: 2) } ?? ""
        row["bound"] = step.result.bound?.rawValue ?? ""
        return row
    }

    /// The table `bench knee` prints: one line per model at its capacity, from its capacity.csv row.
    public static func render(_ capacities: [KneeCapacity]) -> String {
        var lines = [
            ["model", "objective", "capacity/s", "p50 ms", "p99 ms", "srv CPU us/req", "bound", "steps", "status"],
        ]
        for row in capacities.map(Self.row) {
            func figure(_ column: String, scale: Double = 1) -> String {
                Double(row[column] ?? "").map { SummaryCSV.decimal($0 / scale, places: scale == 1 ? 1 : 2) } ?? "-"
            }
            let capacity = Double(row["capacity_per_s"] ?? "").map { String(Int($0)) } ?? "none passed"
            let bound = row["bound"].flatMap { $0.isEmpty ? nil : $0 } ?? "-"
            lines.append([
                row["model"]!, row["objective"]!, capacity, figure("total_p50_us", scale: 1000),
                figure("total_p99_us", scale: 1000), figure("server_cpu_us_per_request"), bound, row["steps"]!,
                row["status"]!,
            ])
        }
        return ComparisonTable.align(lines, left: [0, 1, 6, 8])
    }
}
