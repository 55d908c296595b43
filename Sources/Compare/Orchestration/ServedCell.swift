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
    /// Starts another server in the model's place (the reference server, for a model the other build of a check
    /// lacks); nil for the model's own `bench serve`.
    var substitute: ((LoadSettings, _ cpu: Int?) throws -> ServerProcess)? = nil

    /// Runs `cell`: starts the server, drives it with the compare's load for `cell.clients` clients, stops it.
    /// A server that does not start, dies or does not stop cleanly fails the cell, with the reason; one this system
    /// refuses (``ServerUnavailable``) skips it.
    func run(_ cell: ComparePlan.Cell, pinServerTo cpu: Int?, floor: MachineFloor?) async -> CellResult {
        var load = settings.load
        load.clients = cell.clients
        // Each event loop of the driver keeps at least one client, so a small cell uses fewer loops.
        load.threads = min(load.threads, max(1, cell.clients / load.processes))
        var result = CellResult(
            cell: cell, settings: load, drive: nil, server: nil, floor: floor, failure: nil)
        result.commit = commit
        let server: ServerProcess
        do {
            if let substitute {
                server = try substitute(load, cpu)
            } else if let model = cell.subject.serverModel {
                server = try startServer(model, load, cpu: cpu)
            } else {
                result.failure = "\(cell.model) is not a server model this program can start"
                return result
            }
        } catch {
            if let unavailable = ServerUnavailable(errorOutput: "\(error)") {
                result.failure = unavailable.reason
                result.skipped = true
            } else {
                result.failure = "server did not start: \(error)"
            }
            return result
        }
        load.port = server.port
        result.settings = load
        let peaks = Self.watchPeaks(of: server)
        let measured = await MeasuredDrive.run(load, against: server)
        peaks.cancel()
        let peak = await peaks.value
        let diedDuringRun = server.hasExited
        var usage = server.stop(timeoutSeconds: settings.stopTimeoutSeconds)
        usage.peakThreads = peak?.threads
        usage.peakDescriptors = peak?.descriptors
        usage.peakRSSKiB = [peak?.peakResidentKiB, measured.endStats?.peakResidentKiB].compactMap { $0 }.max()
        result.drive = measured.drive
        result.server = usage
        result.serverWindowCPUSeconds = measured.serverCPUSeconds
        result.serverWindowSystemCalls = measured.serverSystemCalls
        result.serverCores = cell.subject.serverModel.flatMap {
            Self.cores(of: $0, threads: settings.serverThreads, pinned: cpu != nil)
        }
        result.stealPercent = measured.stealPercent
        result.machineBusyPercent = measured.machineBusyPercent
        if diedDuringRun {
            result.failure = "server died during the run (\(usage.exit))"
        } else if !usage.exit.isClean {
            result.failure = "server did not stop cleanly (\(usage.exit))"
        }
        return result
    }

    /// Starts `model` as `bench serve` on a free port, for `load`'s protocol, host and work, with the comparison's
    /// server arguments, pinned to `cpu` when given.
    func startServer(_ model: ServerModel, _ load: LoadSettings, cpu: Int?) throws -> ServerProcess {
        var arguments = ["serve", "--model", model.rawValue, "--protocol", load.wireProtocol.rawValue,
                         "--host", load.host, "--port", "0"] + settings.serverArguments
            + (load.serverWork.map { ["--work", $0] } ?? [])
        if let threads = settings.serverThreads, model.traits.threadsAre != nil {
            arguments += ["--threads", String(threads)]
        }
        return try ServerProcess(
            executable: executable, arguments: arguments, timeoutSeconds: settings.startTimeoutSeconds, cpu: cpu)
    }

    /// Cores a model's server could keep busy (``CellResult/serverCores``): its serving threads or processes
    /// (`threads`, or its default), at most the cores it may run on.
    static func cores(of model: ServerModel, threads: Int?, pinned: Bool) -> Int? {
        let serving = model.traits.busyCores(threads ?? model.defaultThreads)
        return min(serving ?? .max, pinned ? 1 : CPUAffinity.availableCores)
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
