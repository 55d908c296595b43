import Driver
import Wire

/// The work a summary.csv describes, so that `bench check` can run the same comparison again.
///
/// Settings that do not apply to a run are written as empty fields and read as `nil`.
public struct CheckSettings: Sendable, Equatable {
    public var wireProtocol: WireProtocol
    /// HTTP: the request target (`/bytes/{size}`); nil elsewhere, and in files older than the column.
    public var path: String?
    /// Concurrent clients per cell.
    public var clients: Int
    /// Measured seconds per cell, after the warm-up.
    public var durationSeconds: Double
    /// Seconds of load before measuring starts.
    public var warmupSeconds: Double
    /// Requests each connection makes (``LoadSettings/unlimitedRequests``: kept alive for the whole run).
    public var requestsPerConnection: Int?
    /// Response size as written, a byte count (`16`) or a range (`1-4096`).
    public var sizeBytes: String?
    /// Requests in flight per connection.
    public var pipeline: Int?
    /// Pause between requests, milliseconds.
    public var thinkMillis: Double?
    /// Open-loop connection rate per second; `nil` is a closed loop.
    public var ratePerSecond: Double?
    /// How the open loop spaced its starts; nil in a closed loop, and in files older than the column (uniform).
    public var arrivals: Arrivals?
    /// The driver's TLS options as `bench drive` takes them (`--tls --tls-resume`); nil in plaintext, and in files
    /// older than the column.
    public var tls: String?
    /// The servers' `--work`; nil for none, and in files older than the column.
    public var work: String?
    /// The models, in the order they first appear.
    public var models: [String]
    /// How many repetitions the run made (distinct `repetition` values).
    public var repetitions: Int

    /// The columns that must hold one value across all rows of a run.
    static let columns = [
        "protocol", "clients", "duration_s", "warmup_s", "requests_per_conn", "size_bytes", "pipeline", "think_ms",
        "rate_per_s",
    ]

    /// Columns that must hold one value across all rows too, but that files older than them lack (read as empty).
    static let laterColumns = ["tls", "arrivals", "rate_schedule", "work"]

    /// Reads the settings of a run from its rows; they must agree on every column of `columns` and `laterColumns`.
    init(rows: [RowReader]) throws(CheckError) {
        guard let first = rows.first else { preconditionFailure("settings are read from at least one row") }
        for column in Self.columns + Self.laterColumns {
            var values: [String] = []
            for row in rows {
                let value =
                    Self.laterColumns.contains(column) ? row.row[column]?.trimmingSpaces ?? "" : try row.text(column)
                if !values.contains(value) { values.append(value) }
            }
            if values.count > 1 { throw .mixedSettings(first.source, column: column, values: values) }
        }
        let protocolName = try first.text("protocol")
        guard let wireProtocol = WireProtocol(rawValue: protocolName) else {
            throw .unknownProtocol(first.source, protocolName)
        }
        self.wireProtocol = wireProtocol
        clients = try first.int("clients")
        durationSeconds = try first.double("duration_s")
        warmupSeconds = try first.double("warmup_s")
        requestsPerConnection = try first.optionalRequests("requests_per_conn")
        let size = try first.text("size_bytes")
        let bounds = size.split(separator: "-", omittingEmptySubsequences: false)
        guard size.isEmpty || (1...2).contains(bounds.count) && bounds.allSatisfy({ Int($0) != nil }) else {
            throw .garbled(first.source, row: first.number, column: "size_bytes", value: size,
                           expected: "a byte count or a range like 1-4096")
        }
        sizeBytes = size.isEmpty ? nil : size
        // The check re-measures a baseline's load from these columns alone, which do not carry background clients.
        for column in ["idle_clients", "slow_clients"] {
            guard let value = first.row[column], !value.isEmpty, value != "0" else { continue }
            throw .garbled(first.source, row: first.number, column: column, value: value,
                           expected: "0 (bench check measures no idle or slow clients; record it without them)")
        }
        pipeline = try first.optionalInt("pipeline")
        thinkMillis = try first.optionalDouble("think_ms")
        ratePerSecond = try first.optionalDouble("rate_per_s")
        // A rate that changed over the window is not one rate_per_s can bring back.
        if let schedule = first.row["rate_schedule"]?.trimmingSpaces, !schedule.isEmpty {
            throw .garbled(first.source, row: first.number, column: "rate_schedule", value: schedule,
                           expected: "empty (bench check measures a constant --rate; record it with one)")
        }
        let arrivals = first.row["arrivals"]?.trimmingSpaces ?? ""
        guard arrivals.isEmpty || Arrivals(rawValue: arrivals) != nil else {
            throw .garbled(first.source, row: first.number, column: "arrivals", value: arrivals,
                           expected: Arrivals.allCases.map(\.rawValue).joined(separator: " or "))
        }
        self.arrivals = Arrivals(rawValue: arrivals)
        path = first.row["path"].flatMap { $0.isEmpty ? nil : $0 }
        tls = first.row["tls"].map(\.trimmingSpaces).flatMap { $0.isEmpty ? nil : $0 }
        let work = first.row["work"]?.trimmingSpaces ?? ""
        do throws(Units.ParseError) {
            let plan = work.isEmpty ? WorkPlan() : try Units.work(work)
            self.work = plan.isNone ? nil : work
        } catch {
            throw .garbled(first.source, row: first.number, column: "work", value: work, expected: error.description)
        }
        var models: [String] = []
        var repetitions: Set<Int> = []
        for row in rows {
            let model = try row.text("model")
            if !models.contains(model) { models.append(model) }
            repetitions.insert(try row.int("repetition"))
        }
        self.models = models
        self.repetitions = repetitions.count
    }

    /// Whether `other` is the same work, whatever models and repetitions it ran.
    func sameWork(as other: CheckSettings) -> Bool {
        var other = other
        other.models = models
        other.repetitions = repetitions
        return self == other
    }
}
