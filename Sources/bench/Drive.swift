import ArgumentParser
import Driver
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension Bench {
    struct Drive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fire clients at a server speaking the greeting or request protocol; print a wrk-like summary.",
            discussion: "Closed loop by default (--clients kept busy for --duration after --warmup); "
                + "--connections N for count mode; --rate R for open loop with coordinated omission corrected. "
                + "Ctrl-C stops the run and prints what was measured (exit status 130)."
        )

        @OptionGroup var load: LoadOptions

        @Flag(help: "Print the status line once a second even when stderr is not a terminal.")
        var progress = false

        @Flag(help: "No status line.")
        var quiet = false

        /// CSV hook: the integrator's writer (summary, latency, timeline from the ``DriveResult``) goes where
        /// `validate()` now refuses the option, so nobody gets a run whose files silently never appear.
        @Option(help: "Write summary.csv, latency.csv and timeline.csv into this directory (not wired yet: refused).")
        var csv: String?

        @Option(help: .private)
        var workerSettings: String?

        @Option(help: .private)
        var workerIndex = 0

        func validate() throws {
            guard workerSettings == nil else { return }
            if csv != nil {
                throw ValidationError("--csv is not written by bench drive yet; use bench compare for CSV files")
            }
            let settings = try load.settings()
            let limit = raiseDescriptorLimit()
            if let problem = settings.problem(descriptorLimit: limit) { throw ValidationError(problem) }
        }

        func run() async throws {
            raiseDescriptorLimit()
            Interrupt.install()
            if let workerSettings {
                let settings = try JSONDecoder().decode(LoadSettings.self, from: Data(workerSettings.utf8))
                let result = LoadRun.runWorkerProcess(settings, processIndex: workerIndex)
                FileHandle.standardOutput.write(try JSONEncoder().encode(result))
                return
            }
            let settings = try load.settings()
            let showStatus = !quiet && (progress || isatty(STDERR_FILENO) == 1)
            let status: (@Sendable (LiveStatus) -> Void)? = showStatus ? Self.printStatus : nil
            let result = await LoadRun.run(settings, status: status, workerCommand: Self.workerCommand)
            if showStatus { FileHandle.standardError.write(Data("\n".utf8)) }
            print(SummaryReport.render(result), terminator: "")
            if result.interrupted { throw ExitCode(130) }
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
