import ArgumentParser
import Compare
import Driver
import Foundation
import Servers
import SystemCalls
import Wire

extension Bench {
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure this tree against the baseline's revision on this machine, in pairs; fail when a "
                + "model or the driver got slower.",
            discussion: """
                The other build is --against (default: the baseline's git_commit), built once in \
                .build/against/COMMIT/. For every model and repetition, the servers of both builds run one right \
                after the other (which goes first alternates), driven by this tree's driver with the baseline's \
                settings; then both builds' drivers drive a fixed server (refserver, the C reference server built \
                beside bench, or the other build's blocking model where it is missing or does not speak the \
                protocol). Throughput, p99 latency and CPU per request regress when a Wilcoxon signed-rank test \
                over the pairs' ratios puts the change beyond --tolerance at --alpha.
                --tls measures every cell over TLS: both builds' servers with --tls, both drivers too; a baseline \
                whose tls column records TLS (--update --tls) is checked over it without the flag. The driver pairs \
                then drive this tree's blocking model, as refserver speaks no TLS; the cells of another build older \
                than TLS support run alone, not compared. --unpaired takes the baseline's TLS and refuses --tls.
                --unpaired compares with the figures in the baseline file instead (normalized by the machine floor, \
                Mann-Whitney U test): figures from another run, which do not carry over from another host.
                Exit status: 0 no regression, 1 regression (the table says which), 2 usage, baseline or build problem.
                """
        )

        @Option(help: "Baseline summary.csv: the settings to run and the record of what was measured (--update).")
        var baseline = "results/baseline.csv"

        @Option(help: ArgumentHelp(
            "Revision (commit, tag, branch) or bench executable to measure against (default: the baseline's "
                + "git_commit).", valueName: "rev-or-path"))
        var against: String?

        @Flag(help: "Compare with the baseline file's own figures instead of measuring a build beside this one.")
        var unpaired = false

        @Option(help: ArgumentHelp(
            "Change allowed before a metric can regress, as a percentage (default: "
                + "\(Units.decimal(PairedCheck.defaultTolerance * 100))% paired, "
                + "\(Units.decimal(RegressionCheck.defaultTolerance * 100))% --unpaired)."))
        var tolerance: String?

        @Option(help: "Significance level of the test.")
        var alpha = PairedCheck.defaultAlpha

        @Option(name: .customLong("repeat"), help: ArgumentHelp(
            "Pairs per model (default \(PairedCheck.defaultPairs)); --unpaired: repetitions (default: the "
                + "baseline's, at least 5)."))
        var repetitions: Int?

        @Flag(help: "Measure this tree and write a new baseline (same settings as the old one, or the standard check).")
        var update = false

        @Option(help: "Keep this run's CSV files here (default: a directory under /tmp).")
        var out: String?

        @Option(help: ArgumentHelp(
            "Server models to measure, comma separated (default: every model of this tree; --unpaired: the "
                + "baseline's)."))
        var models: String?

        @Option(help: ArgumentHelp(
            "The driver pairs' fixed server: a refserver executable (default: the one swift build puts beside "
                + "bench; not used over TLS).", valueName: "path"))
        var reference: String?

        @OptionGroup(title: "TLS (default: the baseline's)") var tls: DriveTLSOptions

        func validate() throws {
            _ = try toleranceFraction()
            _ = try tls.settings(secure: false)
            if unpaired && tls.common.tls {
                throw ValidationError(
                    "--unpaired compares with the baseline file's figures, measured over the TLS its tls column "
                        + "records: drop --tls (a baseline written with --update --tls is checked over TLS without "
                        + "it), or drop --unpaired to measure both builds over TLS now")
            }
            guard alpha > 0 && alpha < 1 else { throw ValidationError("--alpha is a probability, e.g. 0.05") }
            if update && (against != nil || unpaired) {
                throw ValidationError("--update measures this tree alone; it takes neither --against nor --unpaired")
            }
            if unpaired && against != nil {
                throw ValidationError("--unpaired compares with the baseline file, --against with a build: choose one")
            }
            guard let repetitions else { return }
            if unpaired || update {
                guard repetitions >= 2 else {
                    throw ValidationError("--repeat must be at least 2: a significance test needs repeated runs")
                }
            } else if WilcoxonSignedRank.smallestPValue(count: repetitions) >= alpha {
                let needed = Int((log(alpha) / log(0.5)).rounded(.down)) + 1
                throw ValidationError(
                    "--repeat \(repetitions) pairs cannot give a p-value below --alpha \(alpha) (the smallest is "
                        + "0.5^\(repetitions)); use --repeat \(needed) or more")
            }
        }

        /// --tolerance as a fraction; nil for the default of the way the check measures.
        func toleranceFraction() throws -> Double? {
            guard let tolerance else { return nil }
            do {
                return try Units.tolerance(tolerance, option: "--tolerance")
            } catch {
                throw ValidationError(error.description)
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
            if update { return try await writeBaseline(over: old) }
            if unpaired { return try await checkFigures(of: old!) }
            try await checkPairs(against: old!)
        }

        // MARK: Against a build

        /// The paired check: this tree and the other build, measured in pairs on this machine now.
        func checkPairs(against old: Baseline) async throws {
            let spec = against ?? old.commit
            guard !spec.isEmpty && spec != "unknown" else {
                throw Failure(
                    message: "\(baseline) records no git_commit to measure against; pass --against REV", code: 2)
            }
            let repository = AgainstBuild.repositoryRoot
            let build: AgainstBuild
            do {
                build = try AgainstBuild.prepare(spec, repository: repository, progress: Self.note)
            } catch {
                throw Failure(message: error.description, code: error.exitCode)
            }
            // Every model of this tree: one the other build lacks is paired with the reference server, and the table
            // says so, so that a new model needs no new baseline.
            var settings = try Self.compareSettings(
                from: old.settings, repetitions: repetitions ?? PairedCheck.defaultPairs,
                models: try models.map(Compare.models) ?? ServerModel.allCases, tls: tlsOptions(over: old.settings))
            let (server, reason) = FixedServer.choose(
                reference: reference, settings: settings, current: Compare.executable, against: build.executable)
            if let reason { Self.note("driver pairs: \(reason), so the \(server.name) serves them") }
            let pairing = Pairing(
                againstModels: build.models() ?? Set(old.settings.models), referenceUnavailable: reason,
                againstTLS: settings.load.tls.map { _ in
                    (build.takes("--tls", in: "serve"), build.takes("--tls", in: "drive"))
                },
                againstWork: settings.load.serverWork.map { _ in build.takes("--work", in: "serve") })
            settings.extraMeta = [("against", build.label), ("fixed_server", server.name)]
            let directory = try Compare.resultsDirectory(
                { out ?? "/tmp/bench-check-" + $0 }, settings: settings.metaEntries)
            let run = PairedRun(
                settings: settings, executable: Compare.executable, against: build, server: server,
                directory: directory.path, pairing: pairing)
            for subject in run.subjects {
                switch pairing.partner(of: subject) {
                case .paired(.reference):
                    Self.note("\(subject) is not in \(build.label): measured beside refserver instead")
                case .alone(let reason):
                    Self.note("\(subject): \(reason) (\(build.label)): measured alone, not compared")
                case .paired: break
                }
            }
            let wireProtocol = settings.load.wireProtocol
            let total = run.plan.cells.count
            let (results, interrupted) = try await run.run { result, all in
                let pairs = PairsCSV.table(directory.summaryRows(all), wireProtocol: wireProtocol)
                try directory.write(all, extra: [("pairs.csv", pairs)])
                Self.note(Compare.progressLine(result, index: all.count, of: total), newline: false)
            }
            Self.note("files: \(directory.path)/")
            if interrupted { throw ExitCode(Interrupt.exitStatus) }
            let fraction = try toleranceFraction()
            let findings: [Finding]
            do {
                findings = try PairedCheck(tolerance: fraction ?? PairedCheck.defaultTolerance, alpha: alpha)
                    .run(rows: directory.summaryRows(results), wireProtocol: wireProtocol, alone: run.alone)
            } catch {
                throw Failure(message: error.description, code: error.exitCode)
            }
            print(FindingsTable.render(findings, reference: build.label, current: "this tree"), terminator: "")
            guard findings.contains(where: { $0.verdict != .notCompared }) else {
                // Over TLS, a build older than TLS support: the baseline is not what is wrong.
                let remedy = pairing.againstSpeaksNoTLS
                    ? "it speaks no TLS; check against a revision that does" + (tls.common.tls ? ", or drop --tls" : "")
                    : "check it against a revision that has these models, or update the baseline"
                throw Failure(
                    message: "\(build.label) could run none of this check's work, so nothing was compared: \(remedy)",
                    code: 2)
            }
            try conclude(findings, against: build.label)
        }

        // MARK: Against a file

        /// The figures of the baseline file against this tree's, each normalized by its own run's machine floor.
        func checkFigures(of old: Baseline) async throws {
            let facts = MachineFacts.read()
            for (what, theirs, ours) in [("host", old.host, facts["host"]), ("CPU", old.cpuModel, facts["cpu_model"])]
            where !theirs.isEmpty && theirs != ours {
                Self.note("warning: \(baseline) was measured on \(what) '\(theirs)', this is '\(ours ?? "unknown")': "
                    + "its figures do not carry over, and the check below says little; drop --unpaired to measure "
                    + "its revision here")
            }
            let settings = try Self.compareSettings(
                from: old.settings, repetitions: repetitions ?? max(5, old.settings.repetitions),
                models: try models.map(Compare.models) ?? Self.models(of: old.settings),
                tls: tlsOptions(over: old.settings))
            let rows = try await measure(settings)
            let fraction = try toleranceFraction()
            let findings: [Finding]
            do {
                findings = try RegressionCheck(tolerance: fraction ?? RegressionCheck.defaultTolerance, alpha: alpha)
                    .run(baseline: old, current: rows)
            } catch {
                throw Failure(message: error.description, code: error.exitCode)
            }
            print(FindingsTable.render(findings), terminator: "")
            try conclude(findings, against: baseline)
        }

        private func conclude(_ findings: [Finding], against name: String) throws {
            let verdict = CheckVerdict(findings)
            print(verdict.line(against: name))
            if verdict.exitCode != 0 { throw ExitCode(verdict.exitCode) }
        }

        // MARK: A new baseline

        func writeBaseline(over old: Baseline?) async throws {
            let chosenTLS = try tlsOptions(over: old?.settings)
            let settings =
                try old.map {
                    try Self.compareSettings(
                        from: $0.settings, repetitions: repetitions ?? max(5, $0.settings.repetitions),
                        models: try models.map(Compare.models) ?? ServerModel.allCases, tls: chosenTLS)
                } ?? Self.standardCheck(repetitions: repetitions, tls: chosenTLS)
            let rows = try await measure(settings)
            do {
                _ = try Baseline(rows: rows, source: baseline)
            } catch {
                throw Failure(message: "the new run cannot serve as a baseline: \(error)", code: 1)
            }
            var table = CSVTable(columns: SummaryCSV.columns)
            for row in rows { table.append(row) }
            try AtomicFile.write(table.render(), to: baseline)
            print("wrote \(baseline): \(rows.count) rows")
        }

        /// Runs the comparison and returns its summary rows; its files go to `--out` or a temporary directory.
        func measure(_ settings: CompareSettings) async throws -> [[String: String]] {
            let (results, interrupted, directory) = try await Compare.runRecorded(settings) {
                out ?? "/tmp/bench-check-" + $0
            }
            if interrupted { throw ExitCode(Interrupt.exitStatus) }
            Self.note("files: \(directory.path)/")
            return directory.summaryRows(results)
        }

        // MARK: Settings

        /// The models a baseline file holds figures of, for a check against those figures.
        static func models(of baseline: CheckSettings) throws -> [ServerModel] {
            try baseline.models.map { name in
                guard let model = ServerModel(rawValue: name) else {
                    throw Failure(
                        message: "the baseline names the model '\(name)', which this build does not have; regenerate it "
                            + "with `bench check --update`", code: 2)
                }
                return model
            }
        }

        /// The work of a baseline, run again for `models`: every setting it records, `repetitions` times, over `tls`
        /// (``tlsOptions(over:)``).
        static func compareSettings(
            from baseline: CheckSettings, repetitions: Int, models: [ServerModel], tls: DriveTLSOptions
        ) throws -> CompareSettings {
            var load = LoadSettings()
            load.wireProtocol = baseline.wireProtocol
            load.durationMicros = Int(baseline.durationSeconds * 1e6)
            load.warmupMicros = Int(baseline.warmupSeconds * 1e6)
            load.requestsPerConnection = baseline.requestsPerConnection ?? 1
            load.pipeline = baseline.pipeline ?? 1
            load.thinkMicros = Int((baseline.thinkMillis ?? 0) * 1000)
            load.rate = baseline.ratePerSecond.map(OfferedRate.constant)
            load.arrivals = baseline.arrivals ?? .uniform
            load.serverWork = baseline.work
            if let path = baseline.path { load.path = path }
            let sizes = (baseline.sizeBytes ?? "16").split(separator: "-").compactMap { UInt32($0) }
            load.sizeMin = sizes.first ?? 16
            load.sizeMax = sizes.last ?? load.sizeMin
            load.threads = CPUAffinity.availableCores
            load.tls = try tls.settings(secure: false)
            return CompareSettings(
                models: models, clients: [baseline.clients], repetitions: repetitions, load: load,
                serverArguments: tls.serverArguments, pin: false)
        }

        /// The check this project's CI runs when there is no baseline yet: every model, greeting protocol,
        /// 100 clients, 2 s measured after 1 s of warmup, 5 repetitions: about a minute on 2 cores; over `tls`.
        static func standardCheck(repetitions: Int?, tls: DriveTLSOptions) throws -> CompareSettings {
            var load = LoadSettings()
            load.durationMicros = 2_000_000
            load.warmupMicros = 1_000_000
            load.threads = CPUAffinity.availableCores
            load.tls = try tls.settings(secure: false)
            return CompareSettings(
                models: ServerModel.allCases, clients: [100], repetitions: repetitions ?? 5,
                load: load, serverArguments: tls.serverArguments, pin: false)
        }

        /// A line on stderr: progress and warnings, apart from the table on stdout.
        static func note(_ text: String) { note(text, newline: true) }

        static func note(_ text: String, newline: Bool) {
            FileHandle.standardError.write(Data((text + (newline ? "\n" : "")).utf8))
        }
    }
}

/// An error that ends `bench` with a message on stderr and a given exit status (2 for a baseline problem).
struct Failure: Error, CustomStringConvertible {
    let message: String
    let code: Int32
    var description: String { message }
}
