import ArgumentParser
import Compare
import Driver
import Foundation
import Servers
import Wire

extension Bench {
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare a short standard run with a committed baseline; fail when a model got slower.",
            discussion: """
                The run repeats the baseline's work (its settings come from the baseline) at least 5 times, \
                interleaved across models. Throughput, p99 latency and server CPU per request regress only when \
                the change of the medians, normalized by the run's median machine floor, is beyond \
                --tolerance AND a Mann-Whitney U test over the repetitions says it is significant.
                Exit status: 0 no regression, 1 regression (a table says which), 2 usage or baseline problem.
                """
        )

        @Option(help: "Baseline summary.csv to compare with (written by --update).")
        var baseline = "results/baseline.csv"

        @Option(help: "Relative change of a median allowed before it can count as a regression.")
        var tolerance = 0.15

        @Option(help: "Significance level of the Mann-Whitney U test.")
        var alpha = 0.05

        @Option(name: .customLong("repeat"), help: "Repetitions (default: the baseline's, and at least 5).")
        var repetitions: Int?

        @Flag(help: "Measure and write a new baseline (same settings as the old one, or the standard check).")
        var update = false

        @Option(help: "Keep this run's CSV files here (default: a directory under /tmp).")
        var out: String?

        func validate() throws {
            guard tolerance > 0 && tolerance < 10 else { throw ValidationError("--tolerance is a fraction, e.g. 0.15") }
            guard alpha > 0 && alpha < 1 else { throw ValidationError("--alpha is a probability, e.g. 0.05") }
            if let repetitions, repetitions < 2 {
                throw ValidationError("--repeat must be at least 2: a significance test needs repeated runs")
            }
        }

        func run() async throws {
            raiseDescriptorLimit()
            Interrupt.install()
            let old: Baseline?
            do {
                old = try Baseline(path: baseline)
            } catch {
                guard update else { throw Failure(message: error.description, code: error.exitCode) }
                old = nil
            }
            let settings = old.map { Self.compareSettings(from: $0.settings, repetitions: repetitions) }
                ?? Self.standardCheck(repetitions: repetitions)
            let rows = try await measure(settings)
            if update {
                do {
                    _ = try Baseline(rows: rows, source: baseline)
                } catch {
                    throw Failure(message: "the new run cannot serve as a baseline: \(error)", code: 1)
                }
                var table = CSVTable(columns: SummaryCSV.columns)
                for row in rows { table.append(row) }
                try AtomicFile.write(table.render(), to: baseline)
                print("wrote \(baseline): \(rows.count) rows")
                return
            }
            let findings: [Finding]
            do {
                findings = try RegressionCheck(tolerance: tolerance, alpha: alpha).run(baseline: old!, current: rows)
            } catch {
                throw Failure(message: error.description, code: error.exitCode)
            }
            print(FindingsTable.render(findings), terminator: "")
            let code = RegressionCheck.exitCode(for: findings)
            print(code == 0 ? "no regression against \(baseline)" : "REGRESSION against \(baseline)")
            if code != 0 { throw ExitCode(code) }
        }

        /// Runs the comparison and returns its summary rows; its files go to `--out` or a temporary directory.
        func measure(_ settings: CompareSettings) async throws -> [[String: String]] {
            let (results, interrupted, directory) = try await Compare.runRecorded(settings) {
                out ?? "/tmp/bench-check-" + $0
            }
            if interrupted { throw ExitCode(130) }
            FileHandle.standardError.write(Data("files: \(directory.path)/\n".utf8))
            return results.map { SummaryCSV.row($0, facts: directory.facts, runUTC: directory.runUTC) }
        }

        /// The work of a baseline, run again: every setting it records, and at least 5 repetitions.
        static func compareSettings(from baseline: CheckSettings, repetitions: Int?) -> CompareSettings {
            var load = LoadSettings()
            load.wireProtocol = WireProtocol(rawValue: baseline.protocolName) ?? .greeting
            load.durationMicros = Int(baseline.durationSeconds * 1e6)
            load.warmupMicros = Int(baseline.warmupSeconds * 1e6)
            load.requestsPerConnection = baseline.requestsPerConnection ?? 1
            load.pipeline = baseline.pipeline ?? 1
            load.thinkMicros = Int((baseline.thinkMillis ?? 0) * 1000)
            load.rate = baseline.ratePerSecond
            let sizes = (baseline.sizeBytes ?? "16").split(separator: "-").compactMap { UInt32($0) }
            load.sizeMin = sizes.first ?? 16
            load.sizeMax = sizes.last ?? load.sizeMin
            load.threads = CPUAffinity.availableCores
            return CompareSettings(
                models: baseline.models, clients: [baseline.clients],
                repetitions: repetitions ?? max(5, baseline.repetitions), load: load, serverArguments: [], pin: false)
        }

        /// The check this project's CI runs when there is no baseline yet: every model, greeting protocol,
        /// 100 clients, 2 s measured after 1 s of warmup, 5 repetitions: about a minute on 2 cores.
        static func standardCheck(repetitions: Int?) -> CompareSettings {
            var load = LoadSettings()
            load.durationMicros = 2_000_000
            load.warmupMicros = 1_000_000
            load.threads = CPUAffinity.availableCores
            return CompareSettings(
                models: ServerModel.allCases.map(\.rawValue), clients: [100], repetitions: repetitions ?? 5,
                load: load, serverArguments: [], pin: false)
        }
    }
}

/// An error that ends `bench` with a message on stderr and a given exit status (2 for a baseline problem).
struct Failure: Error, CustomStringConvertible {
    let message: String
    let code: Int32
    var description: String { message }
}
