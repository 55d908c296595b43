import Driver
import Servers
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
        var arguments = ["serve", "--model", cell.model, "--protocol", load.wireProtocol.rawValue,
                         "--host", load.host, "--port", "0"] + settings.serverArguments
        if let threads = settings.serverThreads, ServerModel(rawValue: cell.model)?.traits.threadsAre != nil {
            arguments += ["--threads", String(threads)]
        }
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
        let firstStats = server.stats()
        let first = WindowEdge.now(process: { firstStats?.cpuSeconds }, driver: { nil })
        let peaks = Self.watchPeaks(of: server)
        var last: (edge: WindowEdge, stats: ProcessStats?)?
        if !load.isCountMode {
            try? await Task.sleep(until: measuredFrom + .microseconds(load.durationMicros), clock: .continuous)
            let stats = server.stats()
            last = (WindowEdge.now(process: { stats?.cpuSeconds }, driver: { nil }), stats)
        }
        let drive = await driving
        let end = last ?? {
            let stats = server.stats()
            return (WindowEdge.now(process: { stats?.cpuSeconds }, driver: { nil }), stats)
        }()
        peaks.cancel()
        let peak = await peaks.value
        let diedDuringRun = server.hasExited
        var usage = server.stop(timeoutSeconds: settings.stopTimeoutSeconds)
        let window = WindowEdge.between(first, end.edge)
        usage.windowCPUSeconds = window.process
        usage.peakThreads = peak?.threads
        usage.peakDescriptors = peak?.descriptors
        usage.peakRSSKiB = [peak?.peakResidentKiB, end.stats?.peakResidentKiB].compactMap { $0 }.max()
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

    /// Samples the server's process group four times a second until cancelled; the largest threads, descriptors and
    /// peak resident memory seen (each its own peak), nil when no sample was taken.
    private static func watchPeaks(of server: ServerProcess) -> Task<ProcessStats?, Never> {
        Task.detached {
            var peak: ProcessStats?
            while !Task.isCancelled {
                if let now = server.stats() {
                    var highest = peak ?? now
                    highest.threads = max(highest.threads, now.threads)
                    highest.descriptors = max(highest.descriptors, now.descriptors)
                    highest.peakResidentKiB = max(highest.peakResidentKiB, now.peakResidentKiB)
                    peak = highest
                }
                try? await Task.sleep(for: .milliseconds(250))
            }
            return peak
        }
    }
}
