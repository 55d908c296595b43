import ArgumentParser
import Compare
import Driver
import Foundation
import Servers
import SystemCalls
import Wire

extension Bench {
    struct Soak: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Hold each model at 70% of its capacity for a long time and fail when its memory, descriptors or "
                + "threads, or the driver's, keep growing.",
            discussion: """
                For each model: its capacity under p99<=10ms, found by bench knee's search with 1 s steps (or --rate \
                as given), then the model served as a child process and driven by bench drive as another, open loop at \
                --load of that rate, with --idle and --slow clients beside the measured ones, for --duration. Every \
                --sample, the resident memory (VmRSS), open descriptors and threads of both process groups (a \
                prefork server's workers included) go to samples.csv. A series fails (GREW) when the least-squares \
                line through its second half rises over that half by more than the largest of: 2 MiB (memory), 8 \
                descriptors or 4 threads; 5% of its mean; 3 standard errors of the rise (docs/soak.md). Files: \
                samples.csv, soak.csv (the verdicts), summary.csv (each soak's load), knee.csv and capacity.csv (the \
                searches), drive-MODEL/ (the driver's own). Exit status 1 when a series grew or a model could not be \
                soaked; Ctrl-C (or SIGTERM, SIGHUP) stops both children, keeps every sample and exits 130 (143, 129).
                """
        )

        @Option(help: "Server models, comma separated: \(ServerModel.allCases.map(\.rawValue).joined(separator: ",")).")
        var models = ServerModel.allCases.map(\.rawValue).joined(separator: ",")

        @Option(name: [.short, .long], help: "Measured clients (connections) that share the offered rate.")
        var clients = "100"

        @Option(help: "The share of each model's capacity to offer.")
        var load = "70%"

        @Option(help: ArgumentHelp(
            "Soak every model at this rate instead of searching its capacity: connections/s (greeting, echo) or "
                + "requests/s.", valueName: "rate"))
        var rate: String?

        @Option(help: "How often both sides are sampled.")
        var sample = "1s"

        @Option(help: "Results directory (default: results/soak- and the UTC time).")
        var out: String?

        /// The deliberately leaking server of the soak's own test (`bench serve --leak-per-connection`).
        @Option(name: .customLong("leak-per-connection"), help: .private)
        var leakBytesPerConnection = 0

        @OptionGroup(title: "Servers") var servers: ServerOptions

        @OptionGroup(title: "Load (as bench drive)") var loadOptions: LoadOptions

        /// The soak's length and the driver's warmup when not given: ten minutes, as a CI runner can afford for
        /// two models, and no warmup, as the second half alone is judged.
        static let windows = (duration: "10m", warmup: "0s")

        /// HTTP unless told, a request per connection: the parser and the connection's whole life (accept,
        /// deadlines, close) run at the full rate, and every model times out idle HTTP clients, so their path runs
        /// too; a model serving one connection per thread keeps a capacity, as it would not with keep-alive.
        static let defaultProtocol = WireProtocol.http

        /// Idle and slow clients unless told: enough that their paths (a connection that says nothing, a request
        /// a byte at a time) run all along, few enough that a model serving one connection per thread keeps serving.
        static let background = (idle: "100", slow: "10")

        /// The capacity search's steps: bench knee's at half its 2 s, as CI runs it; a soak's rate is 70% of the
        /// capacity, so a knee found 10% low or high still soaks well below saturation.
        static let searchSteps = (duration: 1_000_000, warmup: 200_000, maxWindow: 2_000_000)

        /// A line fitted through fewer points says little; 10 samples at least, 5 in the second half.
        static let leastSamples = 10

        func validate() throws {
            _ = try soakSettings()
        }

        func run() async throws {
            let limit = raiseDescriptorLimit()
            let settings = try soakSettings()
            if let problem = settings.compare.load.problem(descriptorLimit: limit) { throw ValidationError(problem) }
            Interrupt.install()
            let directory = try Compare.resultsDirectory(
                { out ?? "results/soak-" + $0 }, settings: settings.metaEntries)
            let run = SoakRun(settings: settings, executable: Compare.executable, directory: directory.path)
            var steps: [KneeStep] = []
            func write(_ samples: [SoakSample], _ models: [SoakModel]) throws {
                try directory.write(models.map(\.result), extra: [
                    ("samples.csv", SoakSample.table(samples)), ("soak.csv", SoakCSV.table(models)),
                    ("knee.csv", KneeCSV.steps(steps)),
                ])
            }
            let outcome = try await run.run { step, all in
                steps = all
                FileHandle.standardError.write(Data(Knee.progressLine(step).utf8))
            } recorded: { samples, models in
                try write(samples, models)
                if let last = models.last, !last.verdicts.isEmpty || last.result.failure != nil {
                    FileHandle.standardError.write(Data(Self.progressLine(last).utf8))
                }
            }
            try write(outcome.samples, outcome.models)
            print(SoakCSV.loadLines(outcome.models), terminator: "")
            print(SoakCSV.render(outcome.models), terminator: "")
            print("results: \(directory.path)/")
            try Bench.conclude(
                interrupted: outcome.interrupted,
                failed: outcome.models.contains { $0.result.failed || $0.grew })
        }

        static func progressLine(_ model: SoakModel) -> String {
            guard model.result.failure == nil else { return "\(model.model): \(model.result.status)\n" }
            let grew = model.verdicts.filter { $0.verdict.grew }.map { "\($0.process.rawValue) \($0.verdict.metric.rawValue)" }
            return "\(model.model): soaked at \(Int((model.rate ?? 0).rounded()))/s: "
                + (grew.isEmpty ? "nothing grew" : "GREW: " + grew.joined(separator: ", ")) + "\n"
        }

        func soakSettings() throws -> SoakSettings {
            let share: Double
            let given: Double?
            let sampleMicros: Int
            do {
                share = try Units.tolerance(load, option: "--load")
                given = try rate.map { try Units.count($0, option: "--rate") }
                sampleMicros = try Units.durationMicros(sample, option: "--sample")
            } catch let error as Units.ParseError {
                throw ValidationError(error.description)
            }
            guard given.map({ $0 > 0 }) ?? true else { throw ValidationError("--rate must be above 0") }
            guard sampleMicros > 0 else { throw ValidationError("--sample must be longer than 0s") }
            guard leakBytesPerConnection >= 0 else { throw ValidationError("--leak-per-connection must be at least 0") }
            let chosen = try Compare.models(models)
            let count = try Units.wholeCount(clients, option: "--clients")
            var settings = try loadOptions.settings(
                clients: count, rate: given ?? 1000, defaultProtocol: Self.defaultProtocol, windows: Self.windows,
                defaultArrivals: Knee.arrivals,
                // A greeting's client says nothing, so it cannot be idle or slow: none beside it unless asked.
                defaultBackground: (loadOptions.wireProtocol ?? Self.defaultProtocol).traits.clientSends
                    ? Self.background : ("0", "0"))
            guard settings.durationMicros >= Self.leastSamples * sampleMicros else {
                throw ValidationError(
                    "--duration must hold at least \(Self.leastSamples) samples (--sample \(sample)), so that a line "
                        + "can be fitted through its second half")
            }
            settings.serverWork = try servers.serverWork(default: nil)
            settings.keepsTimeline = false
            let leak = leakBytesPerConnection > 0 ? ["--leak-per-connection", String(leakBytesPerConnection)] : []
            let compare = CompareSettings(
                models: chosen, clients: [count], repetitions: 1, load: settings,
                serverArguments: servers.serveArguments + loadOptions.tls.serverArguments + leak,
                serverThreads: servers.serverThreads, pin: servers.pin)
            // The search's steps are short and keep their timeline, which their steady-state check reads.
            var steps = compare
            steps.load.keepsTimeline = true
            (steps.load.durationMicros, steps.load.warmupMicros) = (Self.searchSteps.duration, Self.searchSteps.warmup)
            guard case .latency(let objective) = try Objective(parsing: "p99=10ms") else {
                preconditionFailure("p99=10ms is a latency objective")
            }
            let search = KneeSettings(
                compare: steps, objective: objective, startRate: 1000, maxWindowMicros: Self.searchSteps.maxWindow,
                tolerance: 0.1, external: false)
            return SoakSettings(compare: compare, rate: given, load: share, search: search, sampleMicros: sampleMicros)
        }
    }
}
