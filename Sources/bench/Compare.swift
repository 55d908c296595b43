import ArgumentParser
import Compare
import Driver
import Foundation
import Servers
import SystemCalls
import Wire

extension Bench {
    struct Compare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run every server model side by side under the same load; print a table, write results/NAME/.",
            discussion: """
                For every model x client count x repetition, in an interleaved order, it starts `bench serve` as a \
                child process on a free port, drives it, stops it and records its CPU time and peak memory. \
                Unless told otherwise, every client makes connections of 10 requests (--protocol request --requests \
                10) and every request waits 1 ms on a simulated backend (--work wait=1ms; --work none for servers \
                that do nothing), so that the models part ways as they do in front of a database.
                Files: summary.csv, latency.csv, timeline.csv, meta.csv (README, "CSV columns"); charts: \
                ./plot.sh results/NAME. A server that fails to start or dies fails its cell (status column) and the \
                comparison goes on; the exit status is then 1. --objective judges every model x client count on \
                the table's figures (medians; failures summed): a table under the others says which held \
                (objectives.csv too), and one missed exits 3. Ctrl-C (or SIGTERM, SIGHUP) keeps the cells finished \
                so far, stops the server, and exits with status 130 (143, 129).
                """
        )

        @Option(name: [.short, .long], help: "Client counts to compare, comma separated (10k allowed).")
        var clients = "10,100,1000,10000"

        @Option(help: "Server models, comma separated: \(ServerModel.allCases.map(\.rawValue).joined(separator: ",")).")
        var models = ServerModel.allCases.map(\.rawValue).joined(separator: ",")

        @Option(name: .customLong("repeat"), help: "Runs of every model x client count (medians are reported).")
        var repetitions = 3

        @Option(help: "Results directory (default: results/ and the UTC time, e.g. results/20261121T031500Z).")
        var out: String?

        @OptionGroup(title: "Servers") var servers: ServerOptions

        @OptionGroup(title: "Load (as bench drive)") var load: LoadOptions

        @OptionGroup(title: "Load shape (as bench drive)") var shape: LoadShapeOptions

        @OptionGroup(title: "Objectives (as bench drive)") var objectives: ObjectiveOptions

        func validate() throws {
            _ = try objectives.objectives(for: compareSettings().load)
        }

        func run() async throws {
            let limit = raiseDescriptorLimit()
            let settings = try compareSettings()
            if let problem = settings.load.problem(descriptorLimit: limit) { throw ValidationError(problem) }
            let objectives = try objectives.objectives(for: settings.load)
            Interrupt.install()
            let (results, interrupted, directory) = try await Self.runRecorded(
                settings, extra: { ObjectivesCSV.files(ObjectiveVerdict.judge(objectives, $0)) }
            ) { out ?? "results/" + $0 }
            let verdicts = ObjectiveVerdict.judge(objectives, results)
            print(ComparisonTable.render(results), terminator: "")
            print(ObjectivesTable.render(verdicts), terminator: "")
            print("results: \(directory.path)/")
            Self.drawCharts(directory.path)
            try Bench.conclude(
                interrupted: interrupted, failed: results.contains(where: \.failed),
                missedObjective: verdicts.contains { !$0.held })
        }

        /// What the models are compared under when the options do not say: connections of 10 requests, each of
        /// which waits 1 ms on a simulated backend, as a web server waits on its database. With work that costs
        /// nothing (a greeting), the blocking accept loop comes first at every client count; with a wait, a
        /// server that serves one client at a time falls behind as the clients grow, while the pools and the event
        /// loops overlap the waits: what the models are for (README, "Why this load").
        static let defaultLoad = (protocol: WireProtocol.request, requests: "10", work: "wait=1ms")

        func compareSettings() throws -> CompareSettings {
            let counts = try clients.split(separator: ",").map {
                try Units.wholeCount(String($0), option: "--clients")
            }
            guard !counts.isEmpty, counts.allSatisfy({ $0 >= 1 }) else {
                throw ValidationError("--clients takes client counts separated by commas, such as 10,100,1000,10000")
            }
            let chosen = try Self.models(models)
            guard repetitions >= 1 else { throw ValidationError("--repeat must be at least 1") }
            let wireProtocol = load.wireProtocol ?? Self.defaultLoad.protocol
            var settings = try load.settings(
                clients: counts.max()!, shape: shape, defaultProtocol: Self.defaultLoad.protocol,
                windows: LoadOptions.compareWindows,
                defaultRequests: wireProtocol.traits.exchange == .request ? Self.defaultLoad.requests : "1")
            settings.serverWork = try servers.serverWork(default: Self.defaultLoad.work)
            return CompareSettings(
                models: chosen, clients: counts, repetitions: repetitions, load: settings,
                serverArguments: servers.serveArguments + load.tls.serverArguments, serverThreads: servers.serverThreads, pin: servers.pin)
        }

        /// The models of a `--models` list, in its order; the error names a word that is not one.
        static func models(_ list: String) throws -> [ServerModel] {
            let chosen = try list.split(separator: ",").map { name in
                guard let model = ServerModel(rawValue: String(name)) else {
                    throw ValidationError(
                        "--models: '\(name)' is not a model; use any of "
                            + ServerModel.allCases.map(\.rawValue).joined(separator: ","))
                }
                return model
            }
            guard !chosen.isEmpty else { throw ValidationError("--models needs at least one model") }
            return chosen
        }

        /// Runs a comparison (`bench compare`, `bench check`): the files under the directory `path(stamp)`, and the
        /// `extra` ones made from the results so far, are rewritten after each cell; a progress line goes to stderr.
        static func runRecorded(
            _ settings: CompareSettings, extra: ([CellResult]) -> [(name: String, table: CSVTable)] = { _ in [] },
            path: (_ stamp: String) -> String
        ) async throws -> (
            results: [CellResult], interrupted: Bool, directory: ResultsDirectory
        ) {
            let directory = try resultsDirectory(path, settings: settings.metaEntries)
            let cells = settings.models.count * settings.clients.count * settings.repetitions
            let run = CompareRun(settings: settings, executable: executable)
            let (results, interrupted) = try await run.run { result, all in
                try directory.write(all, extra: extra(all))
                FileHandle.standardError.write(Data(progressLine(result, index: all.count, of: cells).utf8))
            }
            // Again, so a run stopped before its first cell still leaves its files.
            try directory.write(results, extra: extra(results))
            return (results, interrupted, directory)
        }

        /// Runs ./plot.sh on the results, when it is here (the repository). Where gnuplot is missing it is installed
        /// when that is a one-line matter (root, with apt-get: the charts are part of what the first command promises,
        /// and a newcomer's machine rarely has gnuplot), and said in one line; elsewhere the line to run is printed.
        static func drawCharts(_ directory: String) {
            let script = FileManager.default.currentDirectoryPath + "/plot.sh"
            guard FileManager.default.isExecutableFile(atPath: script) else {
                return print("charts: ./plot.sh \(directory) in the repository")
            }
            let install = "apt-get install -y gnuplot-nox"
            if !inPath("gnuplot") {
                guard geteuid() == 0, inPath("apt-get") else {
                    return print("charts: gnuplot is missing; \(install) && ./plot.sh \(directory)")
                }
                print("charts: gnuplot is missing; installing it (\(install))")
                fflush(nil)
                let failure = CommandOutput.failure(of: ["apt-get", "install", "-y", "-qq", "gnuplot-nox"], timeoutSeconds: 600)
                guard failure == nil, inPath("gnuplot") else {
                    return print("charts: \(install) failed (\(failure ?? "no gnuplot after it")); ./plot.sh \(directory)")
                }
            }
            guard let child = try? ChildProcess(script, [directory], stdout: .pipe, stderr: .pipe) else {
                return print("charts: ./plot.sh \(directory) could not be started")
            }
            let (output, _) = child.readOutput(timeoutSeconds: 120)
            let exit = child.wait(timeoutSeconds: 5).exit
            let charts = String(decoding: output, as: UTF8.self).split(separator: "\n").filter { $0.hasSuffix(".png") }
            print(exit.isClean ? "charts: \(charts.count) in \(directory)/ (./plot.sh)" : "charts: ./plot.sh failed (\(exit))")
        }

        /// Whether `tool` is an executable in PATH.
        static func inPath(_ tool: String) -> Bool {
            (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
                FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)")
            }
        }

        static var executable: String {
            ProcFile.ownExecutable ?? CommandLine.arguments[0]
        }

        /// A run's results directory, begun now: `path` of the UTC time in compact form, and the time in full in
        /// its meta.csv beside `settings`.
        static func resultsDirectory(
            _ path: (_ stamp: String) -> String, settings: [(key: String, value: String)]
        ) throws -> ResultsDirectory {
            let started = Date()
            return try ResultsDirectory(
                path: path(stamp(started, compact: true)), facts: MachineFacts.read(),
                runUTC: stamp(started, compact: false), settings: settings)
        }

        static func stamp(_ date: Date, compact: Bool) -> String {
            let formatter = ISO8601DateFormatter()
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.formatOptions =
                compact ? [.withYear, .withMonth, .withDay, .withTime, .withTimeZone] : [.withInternetDateTime]
            return formatter.string(from: date)
        }

        static func progressLine(_ result: CellResult, index: Int, of total: Int) -> String {
            var figures = result.drive.map {
                String(format: "%.0f conn/s, %.0f req/s, p99 %.2f ms, %d failures", $0.connectionsPerSecond,
                       $0.requestsPerSecond, Double($0.metrics.totalLatency.micros(atPercentile: 99)) / 1000,
                       $0.counters.failures.total)
            } ?? "no load ran"
            if let row = result.childSummary {  // a drive run by a child process: its summary row
                let number = { (column: String) in Double(row[column] ?? "") ?? 0 }
                figures = String(format: "%.0f conn/s, %.0f req/s, p99 %.2f ms, %.0f failures", number("conns_per_s"),
                                 number("requests_per_s"), number("total_p99_us") / 1000,
                                 number("failures_server") + number("failures_local"))
            }
            return "[\(index)/\(total)] \(result.cell): \(figures)\(result.failure == nil ? "" : " (\(result.status))")\n"
        }
    }
}
