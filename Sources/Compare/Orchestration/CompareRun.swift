import Driver

/// Runs a comparison: for every cell of the ``ComparePlan``, starts `bench serve` as a child process, drives it
/// in this process, stops it, and records what both sides measured. A cell whose server fails to start or dies
/// is recorded as failed with the reason, and the comparison goes on; SIGINT ends it after the current cell's
/// server is stopped, keeping only whole cells.
public struct CompareRun {
    public let settings: CompareSettings
    /// This executable, started again as `bench serve`.
    public let executable: String

    public init(settings: CompareSettings, executable: String) {
        self.settings = settings
        self.executable = executable
    }

    /// Runs every cell in plan order; `finished` is called after each one with all results so far (to write
    /// files and print progress). Returns the results and whether SIGINT cut the run short.
    public func run(finished: (CellResult, [CellResult]) throws -> Void) async throws -> (
        results: [CellResult], interrupted: Bool
    ) {
        let plan = ComparePlan(models: settings.models, clients: settings.clients, repetitions: settings.repetitions)
        let pinned = settings.pin && CPUAffinity.availableCores >= 2
        var results: [CellResult] = []
        for cell in plan.cells {
            if Interrupt.requested { return (results, true) }
            // Before every cell, so the floors sample the whole run evenly (this machine has slow spells of a few
            // seconds in which everything runs about 45% slower); the check divides by their median.
            let floor = try? MachineFloor.measure(for: .milliseconds(200))
            if pinned { CPUAffinity.pinThisProcess(to: 0) }
            let result = await runCell(cell, pinServerTo: pinned ? 1 : nil, floor: floor)
            if Interrupt.requested { return (results, true) }
            results.append(result)
            try finished(result, results)
        }
        return (results, false)
    }

    private func runCell(_ cell: ComparePlan.Cell, pinServerTo cpu: Int?, floor: MachineFloor?) async -> CellResult {
        var load = settings.load
        load.clients = cell.clients
        // Each event loop of the driver keeps at least one client, so a small cell uses fewer loops.
        load.threads = min(load.threads, max(1, cell.clients / load.processes))
        let arguments = ["serve", "--model", cell.model, "--protocol", load.wireProtocol.rawValue,
                         "--host", load.host, "--port", "0"] + settings.serverArguments
        let server: ServerProcess
        do {
            server = try ServerProcess(
                executable: executable, arguments: arguments, timeoutSeconds: settings.startTimeoutSeconds, cpu: cpu)
        } catch {
            return CellResult(cell: cell, settings: load, drive: nil, server: nil, floor: floor,
                              failure: "server did not start: \(error)")
        }
        load.port = server.port
        let started = ContinuousClock.now
        async let driving = LoadRun.run(load)
        // The server's CPU at the edges of the measured window (count mode: the whole run).
        let measuredFrom = started + .microseconds(load.isCountMode ? 0 : load.warmupMicros)
        try? await Task.sleep(until: measuredFrom, clock: .continuous)
        let cpuAtStart = server.cpuSeconds()
        if !load.isCountMode {
            try? await Task.sleep(until: measuredFrom + .microseconds(load.durationMicros), clock: .continuous)
        }
        var cpuAtEnd = load.isCountMode ? nil : server.cpuSeconds()
        let drive = await driving
        if load.isCountMode { cpuAtEnd = server.cpuSeconds() }
        let diedDuringRun = server.hasExited
        var usage = server.stop(timeoutSeconds: settings.stopTimeoutSeconds)
        if let cpuAtStart, let cpuAtEnd { usage.windowCPUSeconds = cpuAtEnd - cpuAtStart }
        var failure: String?
        if diedDuringRun {
            failure = "server died during the run (\(usage.exit))"
        } else if !usage.exit.isClean {
            failure = "server did not stop cleanly (\(usage.exit))"
        }
        return CellResult(cell: cell, settings: load, drive: drive, server: usage, floor: floor, failure: failure)
    }
}
