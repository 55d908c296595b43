import Foundation
import Metrics
import SystemCalls

/// Runs a load: `threads` event loops in this process, or `processes` copies of the executable each running
/// its share, merged exactly into one ``DriveResult``. Callers (`bench drive`, `bench compare`, tests) start here.
public enum LoadRun {
    /// Where a worker process is started from: the executable and the arguments that make it run
    /// ``runWorkerProcess(_:processIndex:)`` for `processIndex` and print the result as JSON.
    public typealias WorkerCommand = @Sendable (_ settings: LoadSettings, _ processIndex: Int) -> [String]

    /// Runs `settings` to the end (duration, count, or SIGINT) off Swift's cooperative threads.
    /// - Parameters:
    ///   - status: called once a second with the live figures (for the status line), or nil.
    ///   - workerCommand: how to start worker processes; needed only when `settings.processes > 1`.
    public static func run(
        _ settings: LoadSettings, status: (@Sendable (LiveStatus) -> Void)? = nil,
        workerCommand: WorkerCommand? = nil
    ) async -> DriveResult {
        await withCheckedContinuation { continuation in
            let supervisor = ThreadGroup.spawn("drv-supervisor") {
                if settings.processes > 1, let workerCommand {
                    continuation.resume(returning: WorkerProcesses.run(settings, command: workerCommand))
                } else {
                    continuation.resume(returning: runInProcess(settings, processIndex: 0, status: status))
                }
            }
            supervisor.detach()
        }
    }

    /// The body of a worker process: its share of the run, on this process's threads, with no status line.
    public static func runWorkerProcess(_ settings: LoadSettings, processIndex: Int) -> DriveResult {
        runInProcess(settings, processIndex: processIndex, status: nil)
    }

    /// Runs this process's `threads` workers (of all `threads x processes`) and merges them.
    static func runInProcess(
        _ settings: LoadSettings, processIndex: Int, status: (@Sendable (LiveStatus) -> Void)?
    ) -> DriveResult {
        let startedAt = Date()
        let startNanos = MonotonicClock.nanos()
        let live = (0..<settings.threads).map { _ in LiveCounters() }
        var lastReport = startNanos
        let outcomes = ThreadGroup.run(settings.threads, { thread in
            let index = settings.firstWorker + processIndex * settings.threads + thread
            guard var worker = LoadWorker(settings: settings, index: index, startNanos: startNanos, live: live[thread])
            else { return (RunMetrics(openLoop: settings.isOpenLoop), 0) }
            return worker.run()
        }, tick: {
            let now = MonotonicClock.nanos()
            guard let status, now - lastReport >= 1_000_000_000 else { return }
            lastReport = now
            status(LiveStatus(live, secondsSinceStart: Double(now - startNanos) / 1e9, settings: settings))
        })
        var metrics = RunMetrics(openLoop: settings.isOpenLoop)
        for outcome in outcomes { metrics.merge(outcome.0) }
        return DriveResult(
            settings: settings, startedAt: startedAt, elapsedMicros: outcomes.map(\.1).max() ?? 0,
            metrics: metrics, interrupted: Interrupt.requested)
    }
}
