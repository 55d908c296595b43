import Driver
import SystemCalls

/// One cell of a comparison: a server model started as `bench serve` from an executable (this one, or another
/// build's in `bench check --against`), driven from this process, stopped, and measured on both sides.
struct ServedCell {
    /// The `bench` executable whose `serve` runs the model.
    let executable: String
    /// The commit of that executable when it is not this tree's, for the summary row.
    var commit: String? = nil
    let settings: CompareSettings

    /// Runs `cell`: starts the server, drives it with the compare's load for `cell.clients` clients, stops it.
    /// A server that does not start, dies or does not stop cleanly fails the cell, with the reason.
    func run(_ cell: ComparePlan.Cell, pinServerTo cpu: Int?, floor: MachineFloor?) async -> CellResult {
        var load = settings.load
        load.clients = cell.clients
        // Each event loop of the driver keeps at least one client, so a small cell uses fewer loops.
        load.threads = min(load.threads, max(1, cell.clients / load.processes))
        let arguments = ["serve", "--model", cell.model, "--protocol", load.wireProtocol.rawValue,
                         "--host", load.host, "--port", "0"] + settings.serverArguments
        var result = CellResult(
            cell: cell, settings: load, drive: nil, server: nil, floor: floor, failure: nil)
        result.commit = commit
        let server: ServerProcess
        do {
            server = try ServerProcess(
                executable: executable, arguments: arguments, timeoutSeconds: settings.startTimeoutSeconds, cpu: cpu)
        } catch {
            result.failure = "server did not start: \(error)"
            return result
        }
        load.port = server.port
        result.settings = load
        let started = ContinuousClock.now
        async let driving = LoadRun.run(load)
        // The edges of the measured window (count mode: the whole run).
        let measuredFrom = started + .microseconds(load.isCountMode ? 0 : load.warmupMicros)
        try? await Task.sleep(until: measuredFrom, clock: .continuous)
        let first = WindowEdge.now(process: server.cpuSeconds, driver: { nil })
        var last: WindowEdge?
        if !load.isCountMode {
            try? await Task.sleep(until: measuredFrom + .microseconds(load.durationMicros), clock: .continuous)
            last = WindowEdge.now(process: server.cpuSeconds, driver: { nil })
        }
        let drive = await driving
        let end = last ?? WindowEdge.now(process: server.cpuSeconds, driver: { nil })
        let diedDuringRun = server.hasExited
        var usage = server.stop(timeoutSeconds: settings.stopTimeoutSeconds)
        let window = WindowEdge.between(first, end)
        usage.windowCPUSeconds = window.process
        result.drive = drive
        result.server = usage
        result.stealPercent = window.stealPercent
        if diedDuringRun {
            result.failure = "server died during the run (\(usage.exit))"
        } else if !usage.exit.isClean {
            result.failure = "server did not stop cleanly (\(usage.exit))"
        }
        return result
    }
}
