import Driver

/// What `bench knee` runs: the models (or a server already running), the load of every step, and the objective the
/// search holds them to.
public struct KneeSettings: Sendable {
    /// The models, the servers' arguments and the load of every step: its rate is set per step, its duration is a
    /// step's first window and its warmup is run before every window.
    public var compare: CompareSettings
    public var objective: LatencyObjective
    public var startRate: Double
    /// A step whose verdict is uncertain doubles its window up to this.
    public var maxWindowMicros: Int
    /// See ``KneeStep/tolerance``.
    public var tolerance: Double
    /// Measure the server already listening at the load's host and port instead of starting the models.
    public var external: Bool

    public init(
        compare: CompareSettings, objective: LatencyObjective, startRate: Double, maxWindowMicros: Int,
        tolerance: Double, external: Bool
    ) {
        self.compare = compare
        self.objective = objective
        self.startRate = startRate
        self.maxWindowMicros = maxWindowMicros
        self.tolerance = tolerance
        self.external = external
    }

    /// The names searched: the models, or the external server's address.
    public var targets: [ComparePlan.Cell.Subject] {
        external ? [.external("\(compare.load.host):\(compare.load.port)")] : compare.models.map { .model($0) }
    }

    /// Settings for meta.csv.
    public var metaEntries: [(key: String, value: String)] {
        compare.metaEntries.filter { $0.key != "clients" && $0.key != "repetitions" } + [
            ("clients", String(compare.load.clients)), ("objective", objective.description),
            ("start_rate_per_s", Units.decimal(startRate)),
            ("max_window_s", String(Double(maxWindowMicros) / 1e6)), ("tolerance", Units.decimal(tolerance)),
        ]
    }
}
