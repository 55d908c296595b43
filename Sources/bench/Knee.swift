import ArgumentParser
import Compare
import Driver
import Foundation
import Servers
import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

extension Bench {
    struct Knee: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find each model's capacity under a latency objective: the highest open-loop rate at which it holds.",
            discussion: """
                For each model (or the server at --port), open loop: the offered rate doubles from --start-rate until \
                a step fails, then is bisected to 2% (15 steps at most; with nothing passed, it gives up below the rate at \
                which each client starts once a window). A step runs --warmup, then a window of \
                --duration with fresh histograms; it fails when the objective's percentile of the corrected latency \
                is over its limit, when under 95% of the offered rate was achieved (under Poisson arrivals below \
                3,600 starts a window, 3 standard deviations of the count under it), or when the server failed a \
                client. Every step's starts come at random (Poisson arrivals, as independent users arrive; --arrivals \
                uniform spaces them evenly, the optimistic case that finds capacities 10-25% higher). A step whose \
                percentile's 95% confidence interval straddles the limit, or whose two halves \
                disagree by more than --tolerance (percentiles whose intervals overlap agree; rates under Poisson \
                arrivals: by more than 3 standard deviations of their difference, where that is more), runs again \
                with a window twice as long, up to --max-window. \
                Files: knee.csv (every step), capacity.csv (one row per model), and summary.csv, latency.csv, \
                timeline.csv with a row per step (README, "CSV columns"); charts: ./plot.sh results/NAME.
                """
        )

        @Option(help: ArgumentHelp(
            "The objective: a percentile of the corrected total latency and its limit, e.g. p99=10ms (the same as "
                + "p99<=10ms), p99.9<50ms."))
        var objective = "p99=10ms"

        @Option(help: "Server models, comma separated: \(ServerModel.allCases.map(\.rawValue).joined(separator: ",")).")
        var models = ServerModel.allCases.map(\.rawValue).joined(separator: ",")

        @Option(help: "Measure the server already listening on this port (at --host) instead of the models.")
        var port: Int?

        @Option(help: "With --port: the server's numeric address (default 127.0.0.1).")
        var host = "127.0.0.1"

        @Option(name: [.short, .long], help: "Clients (connections) that share the offered rate.")
        var clients = "100"

        @Option(name: .customLong("start-rate"), help: "The first step's rate: connections/s (greeting, echo) or requests/s.")
        var startRate = "1000"

        @Option(name: .customLong("max-window"), help: "Longest window a step's uncertain verdict may grow to (default 4x --duration).")
        var maxWindow: String?

        @Option(help: "How far a window's halves may differ, as a share of the objective and of the offered rate (percentiles also agree when their intervals overlap; Poisson arrivals: the rates' bound is at least 3 standard deviations of their difference).")
        var tolerance = "10%"

        @Option(help: "Results directory (default: results/knee- and the UTC time).")
        var out: String?

        @OptionGroup(title: "Servers") var servers: ServerOptions

        @OptionGroup(title: "Load (as bench drive)") var load: LoadOptions

        /// A step's window and warmup when --duration and --warmup are not given: 15 steps of each of six models in
        /// about five minutes.
        static let stepWindows = (duration: "2s", warmup: "500ms")

        /// Poisson: a capacity is what a server facing independent users can plan on, and evenly spaced starts found
        /// five of the seven models' capacities 10-25% higher than random ones (docs/work.md, 2026-12-05).
        static let arrivals = Arrivals.poisson

        func validate() throws {
            _ = try kneeSettings()
        }

        func run() async throws {
            let limit = raiseDescriptorLimit()
            let settings = try kneeSettings()
            if let problem = settings.compare.load.problem(descriptorLimit: limit) { throw ValidationError(problem) }
            Interrupt.install()
            let directory = try Compare.resultsDirectory(
                { out ?? "results/knee-" + $0 }, settings: settings.metaEntries)
            let run = KneeRun(settings: settings, executable: Compare.executable)
            var capacities: [KneeCapacity] = []
            func write(_ steps: [KneeStep]) throws {
                try directory.write(steps.map(\.result), extra: [
                    ("knee.csv", KneeCSV.steps(steps)), ("capacity.csv", KneeCSV.capacities(capacities)),
                ])
            }
            let outcome = try await run.run { step, steps in
                try write(steps)
                FileHandle.standardError.write(Data(Self.progressLine(step).utf8))
            }
            capacities = outcome.capacities
            try write(outcome.steps)
            print(KneeCSV.render(capacities), terminator: "")
            print("results: \(directory.path)/")
            Compare.drawCharts(directory.path)
            try Bench.conclude(interrupted: outcome.interrupted, failed: capacities.contains { $0.failure != nil })
        }

        static func progressLine(_ step: KneeStep) -> String {
            let interval = step.interval.map {
                " [\(SummaryReport.format(micros: $0.lowerBound)), \(SummaryReport.format(micros: $0.upperBound))]"
            } ?? ""
            let window = step.result.drive.map { String(format: "%.1fs", $0.elapsedSeconds) } ?? "-"
            return String(
                format: "%@ step %d (%@): offered %.0f/s, achieved %.0f/s, %@ %@%@ in %@: %@\n", step.model,
                step.index, step.phase.rawValue, step.offered, step.achieved, step.objective.name,
                SummaryReport.format(micros: step.percentileMicros), interval, window, step.verdict.rawValue)
        }

        func kneeSettings() throws -> KneeSettings {
            let parsed: Objective
            let start: Double
            do {
                parsed = try Objective(parsing: self.objective)
                start = try Units.count(startRate, option: "--start-rate")
            } catch {
                throw ValidationError(error.description)
            }
            guard case .latency(let objective) = parsed, objective.latency == .total else {
                throw ValidationError(
                    "--objective '\(self.objective)': bench knee searches under a percentile of total latency, such as "
                        + "p99=10ms or p99<=10ms; bench drive and bench compare take the others")
            }
            let fraction: Double
            do {
                fraction = try Units.tolerance(tolerance, option: "--tolerance")
            } catch {
                throw ValidationError(error.description)
            }
            let chosen = try Compare.models(models)
            let count = try Units.wholeCount(clients, option: "--clients")
            // Open loop from the start, so the load's checks see an open-loop run; each step sets its own rate.
            var settings = try load.settings(
                clients: count, rate: start, windows: Self.stepWindows, defaultArrivals: Self.arrivals)
            if let port {
                guard SocketAddress(numericHost: host, port: port) != nil else {
                    throw ValidationError("--host takes a numeric address (127.0.0.1, ::1), not '\(host)'")
                }
                (settings.host, settings.port) = (host, port)
            }
            let longest = try maxWindow.map { try Units.durationMicros($0, option: "--max-window") }
                ?? 4 * settings.durationMicros
            guard longest >= settings.durationMicros else {
                throw ValidationError("--max-window must be at least the step's window (--duration)")
            }
            settings.serverWork = try servers.serverWork(default: nil)
            let compare = CompareSettings(
                models: chosen, clients: [count], repetitions: 1, load: settings,
                serverArguments: servers.serveArguments + load.tls.serverArguments, serverThreads: servers.serverThreads, pin: servers.pin)
            return KneeSettings(
                compare: compare, objective: objective, startRate: start, maxWindowMicros: longest, tolerance: fraction,
                external: port != nil)
        }
    }
}
