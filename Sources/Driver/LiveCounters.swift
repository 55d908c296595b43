import Metrics
import Synchronization

/// What one worker has done so far, for the status line. The worker publishes its plain counters here every
/// 100 ms (not per event), so the hot path stays free of atomics and the reader sees figures at most 0.1 s old.
final class LiveCounters: Sendable {
    let requests = Atomic<Int>(0)
    let connections = Atomic<Int>(0)
    let failures = Atomic<Int>(0)
    let open = Atomic<Int>(0)

    func publish(_ counters: Counters, open openConnections: Int) {
        requests.store(counters.requests, ordering: .relaxed)
        connections.store(counters.connectionsCompleted, ordering: .relaxed)
        failures.store(counters.failures.total, ordering: .relaxed)
        open.store(openConnections, ordering: .relaxed)
    }
}
