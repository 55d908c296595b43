import Driver
import SystemCalls

/// Runs `bench knee`: for each model in turn, starts its server once, runs the steps a ``KneeSearch`` asks for
/// (each a fresh drive: warmup, window, new histograms), lengthens a step's window while its verdict is uncertain,
/// and stops the server. SIGINT ends the run after the current step, keeping every step so far.
public struct KneeRun {
    public let settings: KneeSettings
    /// This executable, started again as `bench serve`.
    public let executable: String

    public init(settings: KneeSettings, executable: String) {
        self.settings = settings
        self.executable = executable
    }

    /// Searches every target; `recorded` is called after each step with every step so far (to write the files and
    /// print progress). Returns the steps, one capacity per target searched, and whether SIGINT cut the run short.
    public func run(recorded: (KneeStep, [KneeStep]) throws -> Void) async throws -> (
        steps: [KneeStep], capacities: [KneeCapacity], interrupted: Bool
    ) {
        var steps: [KneeStep] = []
        var capacities: [KneeCapacity] = []
        let pinned = settings.compare.pin && CPUAffinity.availableCores >= 2 && !settings.external
        for model in settings.targets {
            if Interrupt.requested { return (steps, capacities, true) }
            if pinned { CPUAffinity.pinThisProcess(to: 0) }
            let capacity = try await search(model, cpu: pinned ? 1 : nil) { step in
                steps.append(step)
                try recorded(step, steps)
            }
            capacities.append(capacity)
        }
        return (steps, capacities, Interrupt.requested)
    }

    /// One target's search, from its server's start to its stop.
    private func search(
        _ target: ComparePlan.Cell.Subject, cpu: Int?, recorded: (KneeStep) throws -> Void
    ) async throws -> KneeCapacity {
        var load = settings.compare.load
        var capacity = KneeCapacity(
            model: target.description, objective: settings.objective, step: nil, steps: 0, failure: nil)
        let cell = ServedCell(executable: executable, settings: settings.compare)
        var server: ServerProcess?
        if let model = target.serverModel {
            do {
                server = try cell.startServer(model, load, cpu: cpu)
            } catch {
                capacity.failure = "server did not start: \(error)"
                return capacity
            }
            load.port = server!.port
        }
        defer { _ = server?.stop(timeoutSeconds: settings.compare.stopTimeoutSeconds) }
        let cores = target.serverModel.flatMap {
            ServedCell.cores(of: $0, threads: settings.compare.serverThreads, pinned: cpu != nil)
        }
        var search = KneeSearch(
            startRate: settings.startRate,
            floor: KneeSearch.floor(
                startRate: settings.startRate, clients: load.clients, windowMicros: load.durationMicros))
        while let rate = search.next, !Interrupt.requested {
            capacity.steps += 1
            let phase = search.phase
            var window = load.durationMicros
            var step: KneeStep
            repeat {
                var stepLoad = load
                (stepLoad.rate, stepLoad.durationMicros) = (.constant(rate), window)
                let measured = await MeasuredDrive.run(stepLoad, against: server)
                var result = CellResult(
                    cell: .init(subject: target, clients: load.clients, repetition: capacity.steps), settings: stepLoad,
                    drive: measured.drive, server: nil, floor: nil, failure: nil)
                (result.serverWindowCPUSeconds, result.serverCores) = (measured.serverCPUSeconds, cores)
                result.serverWindowSystemCalls = measured.serverSystemCalls
                if server?.hasExited == true { result.failure = "server died during the run" }
                result.stealPercent = measured.stealPercent
                result.machineBusyPercent = measured.machineBusyPercent
                step = KneeStep(
                    result: result, phase: phase, offered: rate, objective: settings.objective,
                    tolerance: settings.tolerance)
                window *= 2
            } while step.wantsLongerWindow && window <= settings.maxWindowMicros && !Interrupt.requested
            // A window cut short by Ctrl-C has no verdict.
            if step.result.drive?.interrupted == true { break }
            try recorded(step)
            if step.verdict == .pass { capacity.step = step }
            if let failure = step.result.failure {
                capacity.failure = failure
                break
            }
            search.record(rate, passed: step.verdict == .pass)
        }
        return capacity
    }
}
