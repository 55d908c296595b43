import ArgumentParser

/// How `bench compare` and `bench knee` start their servers: shared through `@OptionGroup`.
struct ServerOptions: ParsableArguments {
    @Flag(help: "Server on core 1, driver on core 0 (machines with at least two cores).")
    var pin = false

    @Option(name: .customLong("server-threads"), help: "bench serve --threads for every model that takes it.")
    var serverThreads: Int?

    @Option(name: .customLong("backlog"), help: "bench serve --backlog (per listening socket) for every model.")
    var backlog: Int?

    /// The extra `bench serve` arguments these options ask for.
    var serveArguments: [String] { backlog.map { ["--backlog", String($0)] } ?? [] }
}
