import Driver
import SystemCalls

/// Runs `bench check --against`: every cell of a ``PairedPlan``. A model's cell starts that build's `bench serve`
/// and drives it from this process (the same driver for both builds); a driver cell runs that build's `bench drive`
/// against the ``FixedServer``. SIGINT ends the run after the current cell, keeping whole cells.
public struct PairedRun {
    public let settings: CompareSettings
    /// This tree's `bench`.
    public let executable: String
    public let against: AgainstBuild
    public let server: FixedServer
    /// The check's results directory; the driver cells' own files go under its `drives/`.
    public let directory: String

    public init(
        settings: CompareSettings, executable: String, against: AgainstBuild, server: FixedServer, directory: String
    ) {
        self.settings = settings
        self.executable = executable
        self.against = against
        self.server = server
        self.directory = directory
    }

    /// The plan: the models of `settings`, then the driver.
    public var plan: PairedPlan {
        PairedPlan(
            subjects: settings.models.map(\.rawValue) + [PairedCheck.driverSubject], clients: settings.clients[0],
            repetitions: settings.repetitions)
    }

    /// Runs every cell in plan order; `finished` is called after each one with all results so far.
    public func run(finished: (CellResult, [CellResult]) throws -> Void) async throws -> (
        results: [CellResult], interrupted: Bool
    ) {
        var results: [CellResult] = []
        for cell in plan.cells {
            if Interrupt.requested { return (results, true) }
            let isCurrent = cell.build == PairedCheck.current
            let executable = isCurrent ? executable : against.executable
            let commit = isCurrent ? nil : against.commit
            let result: CellResult
            if cell.model == PairedCheck.driverSubject {
                let drives = directory + "/drives/\(cell.build!)-\(cell.repetition)"
                result = await DrivenCell(
                    executable: executable, commit: commit, settings: settings, server: server, directory: drives
                ).run(cell)
            } else {
                result = await ServedCell(executable: executable, commit: commit, settings: settings)
                    .run(cell, pinServerTo: nil, floor: nil)
            }
            if Interrupt.requested { return (results, true) }
            results.append(result)
            try finished(result, results)
        }
        return (results, false)
    }
}
