import Foundation
import Metrics
import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// The processes x threads layout: P copies of the executable each run their share of the clients and print
/// their ``DriveResult`` as JSON on stdout; the parent merges them exactly. Separate processes sidestep any
/// per-process limit (descriptors, one allocator) a single driver process could hit.
enum WorkerProcesses {
    static func run(_ settings: LoadSettings, command: LoadRun.WorkerCommand) -> DriveResult {
        var workers: [ChildProcess] = []
        var failed = RunMetrics(openLoop: settings.isOpenLoop)
        for index in 0..<settings.processes {
            let arguments = command(settings, index)
            do {
                // Each in a process group of its own: a Ctrl-C reaches this process, which forwards it.
                workers.append(try ChildProcess(arguments[0], Array(arguments.dropFirst()), stdout: .pipe))
            } catch {
                // A worker that cannot start is the driver's own limit: its share is counted, not lost silently.
                failed.counters.failures[.localResource] += settings.share(of: settings.clients, worker: index)
            }
        }
        // Every wait has a deadline: the run's length, the longest wait for the server, and room to merge.
        let deadline = Double(settings.warmupMicros + settings.durationMicros + settings.timeoutMicros) / 1e6 + 30
        let seconds = settings.isCountMode ? 3600 : deadline
        // Each pipe is read on its own thread so no worker blocks on a full pipe while the parent waits on
        // another; this thread meanwhile forwards SIGINT (the workers then print what they measured).
        let running = workers
        let outputs = ThreadGroup.run(workers.count, { index in
            running[index].readOutput(timeoutSeconds: seconds, limit: 1 << 30).bytes
        }, tick: {
            guard Interrupt.requested else { return }
            for worker in running where !worker.hasExited { kill(worker.pid, SIGINT) }
        })
        var merged: DriveResult?
        for (worker, output) in zip(workers, outputs) {
            worker.wait(timeoutSeconds: 10)
            guard let result = try? JSONDecoder().decode(DriveResult.self, from: Data(output)) else {
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
