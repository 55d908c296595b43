import Driver
import Servers
import TLS

/// What `bench compare` runs: which models, at which client counts, how often, under which load.
public struct CompareSettings: Sendable {
    public var models: [ServerModel]
    public var clients: [Int]
    public var repetitions: Int
    /// The load of every cell; its host is the server's, and its port and client count are set per cell.
    public var load: LoadSettings
    /// Extra `bench serve` arguments for every server (`--backlog`, ...).
    public var serverArguments: [String]
    /// `bench serve --threads` for every model that takes it.
    public var serverThreads: Int?
    /// Server on core 1, driver on core 0.
    public var pin: Bool
    /// Longest wait for a server's `listening` line.
    public var startTimeoutSeconds = 10.0
    /// Longest wait for a server to exit after SIGTERM before it is killed.
    public var stopTimeoutSeconds = 10.0
    /// More facts of the run for meta.csv (`bench check`: the build it measured against).
    public var extraMeta: [(key: String, value: String)] = []

    public init(
        models: [ServerModel], clients: [Int], repetitions: Int, load: LoadSettings, serverArguments: [String],
        serverThreads: Int? = nil, pin: Bool
    ) {
        self.models = models
        self.serverThreads = serverThreads
        self.clients = clients
        self.repetitions = repetitions
        self.load = load
        self.serverArguments = serverArguments
        self.pin = pin
    }

    /// Settings for meta.csv, next to the machine facts.
    public var metaEntries: [(key: String, value: String)] {
        [
            ("models", models.map(\.rawValue).joined(separator: " ")),
            ("line_styles", models.map { "\($0.rawValue):\($0.position)" }.joined(separator: " ")),
            ("clients", clients.map(String.init).joined(separator: " ")),
            ("repetitions", String(repetitions)), ("protocol", load.wireProtocol.rawValue),
            ("duration_s", String(Double(load.durationMicros) / 1e6)),
            ("warmup_s", String(Double(load.warmupMicros) / 1e6)),
            ("driver_threads", String(load.threads)), ("driver_processes", String(load.processes)),
            ("server_arguments", serverArguments.joined(separator: " ")), ("work", load.serverWork ?? "none"),
            ("server_threads", serverThreads.map(String.init) ?? ""), ("pin", String(pin)),
            ("tls", load.tls.map { $0.resume ? "on, resumed" : "on, full handshakes" } ?? "off"),
            ("tls_library", load.tls == nil ? "" : TLSContext.library),
        ] + extraMeta
    }
}
