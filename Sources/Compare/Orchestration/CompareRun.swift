import Driver
import SystemCalls

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
            // Before every cell, so the floors sample the whole run evenly (a shared machine has slow spells of a
            // few seconds in which everything runs slower); the check divides by their median.
            let floor = try? MachineFloor.measure(for: .milliseconds(200))
            if pinned { CPUAffinity.pinThisProcess(to: 0) }
            let result = await ServedCell(executable: executable, settings: settings)
                .run(cell, pinServerTo: pinned ? 1 : nil, floor: floor)
            if Interrupt.requested { return (results, true) }
            results.append(result)
            try finished(result, results)
        }
        return (results, false)
    }
}
