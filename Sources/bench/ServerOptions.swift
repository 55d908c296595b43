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

    @Option(help: ArgumentHelp(
        "bench serve --work for every model: cpu=D, wait=D, block=D (see bench serve --help), or none (bench "
            + "compare's default: \(Bench.Compare.defaultLoad.work)).", valueName: "spec"))
    var work: String?

    func validate() throws {
        _ = try serverWork(default: nil)
    }

    /// The work every model does per request (--work, else `fallback`), as `bench serve --work` takes it; nil for
    /// none.
    func serverWork(default fallback: String?) throws -> String? {
        guard let spec = work ?? fallback else { return nil }
        do {
            let plan = try Units.work(spec)
            return plan.isNone ? nil : plan.text
        } catch {
            throw ValidationError(error.description + ".")
        }
    }

    /// The extra `bench serve` arguments these options ask for, but the work (``serverWork(default:)``), which the
    /// load carries.
    var serveArguments: [String] {
        backlog.map { ["--backlog", String($0)] } ?? []
    }
}
