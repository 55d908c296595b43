import ArgumentParser
import Driver

/// How `bench compare` and `bench knee` start their servers: shared through `@OptionGroup`.
struct ServerOptions: ParsableArguments {
    @Flag(help: "Server on core 1, driver on core 0 (machines with at least two cores).")
    var pin = false

    @Option(name: .customLong("server-threads"), help: "bench serve --threads for every model that takes it.")
    var serverThreads: Int?

    @Option(name: .customLong("backlog"), help: "bench serve --backlog (per listening socket) for every model.")
    var backlog: Int?

    @Option(help: ArgumentHelp("bench serve --work for every model: cpu=D, wait=D, block=D (see bench serve --help).",
        valueName: "spec"))
    var work: String?

    func validate() throws {
        guard let work else { return }
        do {
            _ = try Units.work(work)
        } catch {
            throw ValidationError(error.description + ".")
        }
    }

    /// The extra `bench serve` arguments these options ask for.
    var serveArguments: [String] {
        (backlog.map { ["--backlog", String($0)] } ?? []) + (work.map { ["--work", $0] } ?? [])
    }
}
