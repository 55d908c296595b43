import Foundation
import SystemCalls
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A task that prefers a ``QueueExecutor`` wakes from the executor's sleep, and resumes from a continuation, while
/// every one of Swift's cooperative threads is blocked: what the suites that time a run from a task rely on.
@Suite struct QueueExecutorTests {
    @Test func aTaskResumesOnTimeWhileEveryCooperativeThreadIsBlocked() async {
        let hold = 1.5
        // One blocking task per cooperative thread (one per core), each holding its thread for `hold` seconds.
        let blockers = (0..<ProcessInfo.processInfo.activeProcessorCount).map { _ in
            Task.detached { _ = usleep(UInt32(hold * 1e6)) }
        }
        let executor = QueueExecutor("test-executor")
        let (slept, resumed) = await withTaskExecutorPreference(executor) {
            // The blockers take every cooperative thread as this task leaves its own, and hold them all through
            // the sleep.
            let start = MonotonicClock.nanos()
            await executor.sleep(until: .now + .milliseconds(300))
            let slept = Double(MonotonicClock.nanos() - start) / 1e9
            let offloaded = MonotonicClock.nanos()
            _ = await PosixThread.offload("test-resume") { 0 }
            return (slept, Double(MonotonicClock.nanos() - offloaded) / 1e9)
        }
        for blocker in blockers { await blocker.value }
        // On a cooperative thread, each would wait for the blockers, over a second.
        #expect(slept < 0.3 + 0.5, "a 300 ms sleep took \(slept) s")
        #expect(resumed < 0.5, "a continuation took \(resumed) s to resume")
    }
}
