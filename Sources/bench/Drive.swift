import ArgumentParser
import Compare
import Driver
import Foundation
import Metrics
import SystemCalls
import Wire

#if canImport(Glibc)
import Glibc
#endif

extension Bench {
    struct Drive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fire clients at a server speaking \(WireProtocol.names); print a wrk-like summary.",
            discussion: "Closed loop by default (--clients kept busy for --duration after --warmup); "
                + "--connections N for count mode; --rate R for open loop with coordinated omission corrected "
                + "(--rate A..B ramps over --duration, --rate A,B,C --step T holds each rate for T; --arrivals poisson "
                + "spaces the starts at random). "
                + "A URL target (bench drive http://localhost:8080/bytes/16) means --protocol http, its host, port "
                + "and path, and connections kept alive for the whole run (--requests unlimited) as wrk keeps them. "
                + "--objective judges the run: a table under the summary says which objectives held, and one missed "
                + "exits 3. Ctrl-C (or SIGTERM, SIGHUP) stops the run and prints what was measured "
                + "(exit status 130; 143, 129)."
        )

        @Argument(help: ArgumentHelp(
            "An HTTP target, as wrk takes it: http://HOST[:PORT][/PATH], or https:// for TLS.", valueName: "url"))
        var target: String?

        @Option(help: "Server address: IPv4, IPv6 or a name, resolved once before the run (default 127.0.0.1).")
        var host: String?

        @Option(name: [.customShort("p"), .long], help: "Server port (default \(WireDefaults.port)).")
        var port: Int?

        @Option(name: [.short, .long], help: "Clients kept connected at once (10k allowed).")
        var clients = "100"

        @OptionGroup(title: "Load") var load: LoadOptions

        @OptionGroup(title: "Load shape") var shape: LoadShapeOptions

        @OptionGroup(title: "Objectives") var objectives: ObjectiveOptions

        @Flag(help: "Print the status line once a second even when stderr is not a terminal.")
        var progress = false

        @Flag(help: "No status line.")
        var quiet = false

        @Option(help: ArgumentHelp(
            "Write summary.csv, latency.csv, timeline.csv, meta.csv and result.json (for bench merge) into this "
                + "directory.",
            valueName: "dir"))
        var out: String?

        /// The name --out had before every command's output directory was --out.
        @Option(name: .customLong("csv"), help: .private)
        var csv: String?

        @Option(help: ArgumentHelp(
            "Write HdrHistogram's interval log: a histogram a second of connect, first_byte, total and (open loop) "
                + "uncorrected latency, in microseconds, compressed (V2), read by HdrHistogram's own tools.",
            valueName: "file"))
        var hlog: String?

        @Option(help: "The server's name in the CSV files' model column.")
        var label = "external"

        @Option(help: ArgumentHelp(
            "This host's share of a load spread over N hosts: it runs its part of the clients, connections and rate.",
            valueName: "K/N"))
        var share: String?

        @Option(name: .customLong("start-at"), help: ArgumentHelp(
            "Start the run at this UTC time (2026-12-02T21:30:00Z) or Unix time, so that the hosts of a --share "
                + "open their windows together; a late start says by how much (meta.csv: start_late_s).",
            valueName: "time"))
        var startAt: String?

        @Option(help: .private)
        var workerSettings: String?

        /// `bench soak`'s driver keeps no timeline (``LoadSettings/keepsTimeline``); private, as no one else needs a
        /// drive without timeline.csv.
        @Flag(name: .customLong("no-timeline"), help: .private)
        var noTimeline = false

        @Option(help: .private)
        var workerIndex = 0

        /// Checks what the options say, and nothing else: no name resolved, no connection opened, no limit raised.
        func validate() throws {
            guard workerSettings == nil else { return }
            _ = try objectives.objectives(for: settings(resolving: false))
            if out != nil && csv != nil { throw ValidationError("--csv is the old name of --out: give one of them") }
        }

        func run() async throws {
            raiseDescriptorLimit()
            Interrupt.install()
            // bench soak runs the driver as its child: it must not outlive a soak killed outright.
            ParentWatch.adopt()
            if let workerSettings {
                let settings = try JSONDecoder().decode(LoadSettings.self, from: Data(workerSettings.utf8))
                let result = LoadRun.runWorkerProcess(settings, processIndex: workerIndex)
                FileHandle.standardOutput.write(try JSONEncoder().encode(result))
                return
            }
            let limit = raiseDescriptorLimit()
            let settings = try settings(resolving: true)
            if let problem = settings.problem(descriptorLimit: limit) { throw ValidationError(problem) }
            let objectives = try objectives.objectives(for: settings)
            let out = out ?? csv
            var meta = [("command", CommandLine.arguments.joined(separator: " "))]
            if let startAt {
                let late = StartAt.wait(until: try StartAt.parse(startAt))
                let lateText = String(format: "%.3f", late)
                if late > 0.001 {
                    let line = "bench drive: started \(lateText) s after --start-at \(startAt)\n"
                    FileHandle.standardError.write(Data(line.utf8))
                }
                meta += [("start_at", startAt), ("start_late_s", lateText)]
            }
            if let hlog {
                // Made before the run, as --out's directory is, so that a path that cannot be written loses no run.
                let directory = URL(fileURLWithPath: hlog).deletingLastPathComponent().path
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            let results = try out.map {
                try ResultsDirectory(
                    path: $0, facts: MachineFacts.read(), runUTC: Compare.stamp(Date(), compact: false), settings: meta)
            }
            let showStatus = !quiet && (progress || isatty(STDERR_FILENO) == 1)
            let status: (@Sendable (LiveStatus) -> Void)? = showStatus ? Self.printStatus : nil
            let result = await LoadRun.run(settings, status: status, workerCommand: Self.workerCommand)
            if showStatus { FileHandle.standardError.write(Data("\n".utf8)) }
            print(SummaryReport.render(result), terminator: "")
            let cell = ComparePlan.Cell(subject: .external(label), clients: settings.clients, repetition: 1)
            let cells = [
                CellResult(cell: cell, settings: settings, drive: result, server: nil, floor: nil, failure: nil)
            ]
            let verdicts = ObjectiveVerdict.judge(objectives, cells)
            print(ObjectivesTable.render(verdicts), terminator: "")
            try results?.write(cells, extra: ObjectivesCSV.files(verdicts))
            if let out { try DriveResultFile(label: label, result: result).write(into: out) }
            if let hlog, let log = result.intervalLog {
                try AtomicFile.write(log.render(comment: Self.logComment(settings)), to: hlog)
            }
            try Bench.conclude(
                interrupted: result.interrupted, failed: false, missedObjective: verdicts.contains { !$0.held })
        }

        /// The run's settings; `resolving`: the server's name resolved to the address the run will use (the first of
        /// several that accepts a connection), which `run()` does and `validate()` does not.
        func settings(resolving: Bool) throws -> LoadSettings {
            let count = try Units.wholeCount(clients, option: "--clients")
            var settings = try load.settings(
                clients: count, shape: shape, defaultProtocol: target == nil ? .greeting : .http,
                defaultRequests: target == nil ? "1" : "unlimited",
                secure: target.map { $0.lowercased().hasPrefix("https://") } ?? false)
            settings.intervalLog = hlog != nil
            settings.keepsTimeline = !noTimeline
            do {
                if let share { (settings.hostShare, settings.hostShares) = try Units.hostShare(share) }
                if let startAt { _ = try StartAt.parse(startAt) }
            } catch {
                throw ValidationError(error.description)
            }
            var name = (host ?? WireDefaults.host).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            settings.port = port ?? WireDefaults.port
            if let target {
                guard host == nil && port == nil else {
                    throw ValidationError("give the server as a URL or as --host and --port, not both")
                }
                let url: TargetURL
                do { url = try TargetURL(target) } catch { throw ValidationError(error.description) }
                guard settings.wireProtocol.traits.requestsByPath else {
                    throw ValidationError("a URL target speaks --protocol http, not \(settings.wireProtocol.rawValue)")
                }
                guard url.isSecure || !load.tls.common.tls else {
                    throw ValidationError("an http:// target with --tls: write it https://")
                }
                name = url.host
                settings.port = url.port
                settings.authority = url.authority
                try load.takePath(url.path, into: &settings)
            }
            // SNI names the host the target names, as a browser and wrk do; an address is not sent.
            if settings.tls != nil && settings.tls?.serverName == nil && SocketAddress(numericHost: name, port: 1) == nil {
                settings.tls?.serverName = name
            }
            // Resolved before the run, and every connection of the run goes to the same address: the first one that
            // accepts a connection, as wrk tries a name's addresses in turn (or the first, which then counts refusals).
            // One address is taken as it is, so that the server's counters hold the run's connections alone.
            guard resolving else {
                if let problem = settings.problem() { throw ValidationError(problem) }
                return settings
            }
            do {
                let addresses = try SocketAddress.resolveAll(name, port: settings.port)
                let accepting = addresses.count > 1 ? SocketAddress.firstAccepting(addresses) : nil
                settings.host = (accepting ?? addresses[0]).host
            } catch {
                throw ValidationError("--host: \(error.description)")
            }
            if settings.authority == nil && name != settings.host {
                settings.authority = (name.contains(":") ? "[\(name)]" : name) + ":\(settings.port)"
            }
            if let problem = settings.problem() { throw ValidationError(problem) }
            return settings
        }

        /// The log's own line: what its values are, and which share of a load it holds.
        static func logComment(_ settings: LoadSettings) -> String {
            "[bench drive: \(IntervalLog.units); share \(settings.hostShare + 1)/\(settings.hostShares); "
                + "\(CommandLine.arguments.joined(separator: " "))]"
        }

        @Sendable static func printStatus(_ status: LiveStatus) {
            FileHandle.standardError.write(Data(("\r" + status.line).utf8))
        }

        /// A worker process is this executable again, told its settings and its index.
        @Sendable static func workerCommand(settings: LoadSettings, processIndex: Int) -> [String] {
            let json = (try? JSONEncoder().encode(settings)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
            return ["/proc/self/exe", "drive", "--worker-settings", json, "--worker-index", "\(processIndex)"]
        }
    }
}
