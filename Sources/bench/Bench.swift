import ArgumentParser
import Driver
import Foundation
import Servers

@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Drive TCP server models (\(ServerModel.allCases.map(\.rawValue).joined(separator: ", "))) with "
            + "thousands of clients; record latency, throughput and failures to CSV.",
        discussion: "Exit status: 0 success, 1 failure (bench check: a regression), 2 wrong usage or a bad baseline, "
            + "3 an --objective missed (bench drive, bench compare), 130 stopped by Ctrl-C (143 SIGTERM and 129 "
            + "SIGHUP alike).",
        subcommands: [Serve.self, Drive.self, Compare.self, Knee.self, Soak.self, Check.self, Merge.self, Models.self, Protocols.self]
    )

    /// ArgumentParser's own main, with two changes: wrong usage exits 2 (ArgumentParser says 64, EX_USAGE),
    /// the status `bench check` documents for every usage problem; and a ``Failure`` prints its sentence and
    /// exits with its own status.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let failure as Failure {
            FileHandle.standardError.write(Data("bench: \(failure.message)\n".utf8))
            Foundation.exit(failure.code)
        } catch {
            let code = exitCode(for: error)
            guard code != .success else { exit(withError: error) }
            let message = fullMessage(for: error)
            if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

extension Bench {
    /// How a command that measured ends once every file is written: a stop signal (130 for Ctrl-C) before a failed
    /// cell or search (1) before a missed objective (3), so that the status names what undermines the figures most;
    /// 0 when none.
    static func conclude(interrupted: Bool, failed: Bool, missedObjective: Bool = false) throws {
        if interrupted { throw ExitCode(Interrupt.exitStatus) }
        if failed { throw ExitCode(1) }
        if missedObjective { throw ExitCode(3) }
    }
}
