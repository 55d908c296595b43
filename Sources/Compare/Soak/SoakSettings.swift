import Driver

/// What `bench soak` runs: the models, the load beside which their resources are followed, and how the rate is set.
public struct SoakSettings: Sendable {
    /// The models, the servers' arguments and the soak's load: its clients, idle and slow clients, protocol; its
    /// rate is set per model and its duration is the soak's.
    public var compare: CompareSettings
    /// The rate to soak every model at; nil: `load` x each model's capacity, found by ``search``.
    public var rate: Double?
    /// The share of the capacity the soak offers (0.7).
    public var load: Double
    /// The capacity search when no rate is given: `bench knee`'s, with short steps.
    public var search: KneeSettings
    /// How often the server's and the driver's processes are sampled.
    public var sampleMicros: Int

    public init(compare: CompareSettings, rate: Double?, load: Double, search: KneeSettings, sampleMicros: Int) {
        self.compare = compare
        self.rate = rate
        self.load = load
        self.search = search
        self.sampleMicros = sampleMicros
    }

    /// The soak's length: the driver's window.
    public var durationMicros: Int { compare.load.durationMicros }

    /// Settings for meta.csv.
    public var metaEntries: [(key: String, value: String)] {
        compare.metaEntries.filter { $0.key != "clients" && $0.key != "repetitions" } + [
            ("clients", String(compare.load.clients)), ("idle", String(compare.load.idle)),
            ("slow", compare.load.slow > 0 ? "\(compare.load.slow):\(Units.decimal(compare.load.slowBytesPerSecond))" : "0"),
            ("rate_per_s", rate.map(Units.decimal) ?? ""), ("load", Units.decimal(load)),
            ("objective", rate == nil ? search.objective.description : ""),
            ("sample_s", String(Double(sampleMicros) / 1e6)),
        ]
    }
}
