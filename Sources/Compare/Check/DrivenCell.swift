import Driver
import Foundation
import SystemCalls

/// One cell of a driver pair (`bench check --against`): a build's `bench drive`, run as a child process like any
/// load tool, against the ``FixedServer``. Its figures come back through the summary.csv it writes; its CPU is
/// sampled at the edges of the measured window, as a server's is.
struct DrivenCell {
    /// The `bench` executable whose `drive` runs, and its commit when it is not this tree's.
    let executable: String
    let commit: String?
    let settings: CompareSettings
    let server: FixedServer
    /// Where the child writes its CSV files (kept beside the check's own).
    let directory: String

    func run(_ cell: ComparePlan.Cell) async -> CellResult {
        var load = settings.load
        load.clients = cell.clients
        load.threads = min(load.threads, max(1, cell.clients / load.processes))
        var result = CellResult(cell: cell, settings: load, drive: nil, server: nil, floor: nil, failure: nil)
        result.commit = commit
        let windowSeconds = Double(load.warmupMicros + load.durationMicros) / 1e6
        let deadline = windowSeconds + Double(load.timeoutMicros) / 1e6 + 15
        let running: ServerProcess
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            running = try server.start(
                load, lifetimeSeconds: Int(deadline) + 10, timeoutSeconds: settings.startTimeoutSeconds)
        } catch {
            result.failure = "\(server.name) did not start: \(error)"
            return result
        }
        load.port = running.port
        result.settings = load
        let child: ChildProcess
        do {
            // --csv, the name every build's driver knows (--out came later and is this build's name for it).
            child = try ChildProcess(
                executable,
                ["drive"] + load.driveArguments + ["--quiet", "--csv", directory, "--label", cell.model],
                stderr: .file(directory + ".log"))
        } catch {
            result.server = running.stop(timeoutSeconds: settings.startTimeoutSeconds)
            result.failure = "the driver did not start: \(error)"
            return result
        }
        let started = ContinuousClock.now
        try? await Task.sleep(until: started + .microseconds(load.warmupMicros), clock: .continuous)
        let first = WindowEdge.now(process: running.cpuSeconds, driver: child.cpuSeconds)
        try? await Task.sleep(
            until: started + .microseconds(load.warmupMicros + load.durationMicros), clock: .continuous)
        let last = WindowEdge.now(process: running.cpuSeconds, driver: child.cpuSeconds)
        let exit = await Self.waitOff(child, timeoutSeconds: deadline - windowSeconds)
        let window = WindowEdge.between(first, last)
        result.server = running.stop(timeoutSeconds: settings.startTimeoutSeconds)
        result.serverWindowCPUSeconds = window.process
        result.driverCPUSeconds = window.driver
        result.stealPercent = window.stealPercent
        let summary = try? CSVReader.parse(String(contentsOfFile: directory + "/summary.csv", encoding: .utf8))
        if let row = summary?.records.first, exit.isClean {
            result.childSummary = row
        } else {
            let log = (try? String(contentsOfFile: directory + ".log", encoding: .utf8)) ?? ""
            result.failure = "the driver ended with \(exit) and no summary.csv"
                + (log.isEmpty ? "" : ": " + log.trimmingTrailingNewlines())
        }
        return result
    }

    /// Waits for `child` on a thread of its own, so that the wait does not hold one of Swift's few cooperative
    /// threads.
    private static func waitOff(_ child: ChildProcess, timeoutSeconds: Double) async -> ChildProcess.Exit {
        await PosixThread.offload("drv-child-wait") { child.wait(timeoutSeconds: timeoutSeconds).exit }
    }
}
