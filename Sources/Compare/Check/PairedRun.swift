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
    /// The models the other build has (`bench models` of it); the others are paired with the reference server.
    public let againstModels: Set<String>

    public init(
        settings: CompareSettings, executable: String, against: AgainstBuild, server: FixedServer, directory: String,
        againstModels: Set<String>
    ) {
        self.settings = settings
        self.executable = executable
        self.against = against
        self.server = server
        self.directory = directory
        self.againstModels = againstModels
    }

    /// The plan: the models of `settings`, then the driver; a model the other build lacks pairs with the reference
    /// server where it speaks the protocol, and runs alone where it does not.
    public var plan: PairedPlan {
        let referenceServes = if case .reference = server { true } else { false }
        return PairedPlan(
            subjects: settings.models.map { .model($0) } + [.driver], clients: settings.clients[0],
            repetitions: settings.repetitions
        ) { subject in
            guard let model = subject.serverModel, !againstModels.contains(model.rawValue) else { return .against }
            return referenceServes ? .reference : nil
        }
    }

    /// Runs every cell in plan order; `finished` is called after each one with all results so far.
    public func run(finished: (CellResult, [CellResult]) throws -> Void) async throws -> (
        results: [CellResult], interrupted: Bool
    ) {
        var results: [CellResult] = []
        for cell in plan.cells {
            if Interrupt.requested { return (results, true) }
            let isCurrent = cell.build == .current
            let executable = isCurrent ? executable : against.executable
            let commit = isCurrent ? nil : against.commit
            let result: CellResult
            if cell.build == .reference {
                let server = server
                let lifetime = Int(settings.load.warmupMicros + settings.load.durationMicros) / 1_000_000 + 60
                result = await ServedCell(executable: executable, settings: settings) { load, _ in
                    try server.start(load, lifetimeSeconds: lifetime, timeoutSeconds: settings.startTimeoutSeconds)
                }.run(cell, pinServerTo: nil, floor: nil)
            } else if cell.subject == .driver {
                let drives = directory + "/drives/\(cell.build!.rawValue)-\(cell.repetition)"
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
