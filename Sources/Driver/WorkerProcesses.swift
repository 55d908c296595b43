import Foundation
import Metrics

/// The processes x threads layout: P copies of the executable each run their share of the clients and print
/// their ``DriveResult`` as JSON on stdout; the parent merges them exactly. Separate processes sidestep any
/// per-process limit (descriptors, one allocator) a single driver process could hit.
enum WorkerProcesses {
    static func run(_ settings: LoadSettings, command: LoadRun.WorkerCommand) -> DriveResult {
        var processes: [(Process, Pipe)] = []
        var failed = RunMetrics(openLoop: settings.isOpenLoop)
        for index in 0..<settings.processes {
            let arguments = command(settings, index)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: arguments[0])
            process.arguments = Array(arguments.dropFirst())
            let pipe = Pipe()
            process.standardOutput = pipe
            do {
                try process.run()
                processes.append((process, pipe))
            } catch {
                // A worker that cannot start is the driver's own limit: its share is counted, not lost silently.
                failed.counters.failures[.localResource] += settings.share(of: settings.clients, worker: index)
            }
        }
        // Each pipe is read on its own thread so no worker blocks on a full pipe while the parent waits on
        // another; this thread meanwhile forwards SIGINT (workers run in their own process group).
        let readers = processes.map(\.1.fileHandleForReading)
        let outputs = ThreadGroup.run(readers.count, { index in readers[index].readDataToEndOfFile() }, tick: {
            guard Interrupt.requested else { return }
            for (process, _) in processes where process.isRunning { process.interrupt() }
        })
        var merged: DriveResult?
        for ((process, _), output) in zip(processes, outputs) {
            process.waitUntilExit()
            guard let result = try? JSONDecoder().decode(DriveResult.self, from: output) else {
                failed.counters.failures[.localResource] += 1
                continue
            }
            if merged == nil { merged = result } else { merged!.merge(result) }
        }
        var result = merged ?? DriveResult(
            settings: settings, startedAt: Date(), elapsedMicros: 0, metrics: RunMetrics(), interrupted: true)
        result.metrics.merge(failed)
        result.settings = settings
        return result
    }
}
