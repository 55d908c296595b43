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
    /// What each subject pairs with: the other build, the reference server, or nothing.
    public let pairing: Pairing

    public init(
        settings: CompareSettings, executable: String, against: AgainstBuild, server: FixedServer, directory: String,
        pairing: Pairing
    ) {
        self.settings = settings
        self.executable = executable
        self.against = against
        self.server = server
        self.directory = directory
        self.pairing = pairing
    }

    /// The models of `settings`, then the driver.
    public var subjects: [ComparePlan.Cell.Subject] { settings.models.map { .model($0) } + [.driver] }

    /// The plan: every subject's cells, paired as ``pairing`` says.
    public var plan: PairedPlan {
        PairedPlan(subjects: subjects, clients: settings.clients[0], repetitions: settings.repetitions) {
            pairing.partner(of: $0).build
        }
    }

    /// The subjects that run alone, by name, with the reason, for ``PairedCheck/run(rows:wireProtocol:alone:)``.
    public var alone: [String: String] {
        var reasons: [String: String] = [:]
        for subject in subjects {
            if case .alone(let reason) = pairing.partner(of: subject) { reasons[subject.description] = reason }
        }
        return reasons
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
