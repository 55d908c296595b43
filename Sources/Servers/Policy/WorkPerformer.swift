#if canImport(Glibc)
import Glibc
#endif
import SystemCalls
import Wire

/// How every model does a request's `--work`, so that models differ only in how they wait: CPU is burned and a
/// blocking sleep is slept on the serving thread by all of them; a wait on the backend is a sleep on a thread model
/// and a timer on an event loop (``waited(_:counters:)`` counts it when it fires).
enum WorkPerformer {
    /// Does the CPU and the blocking part of `work` on this thread, and its wait too when `waitHere` (a thread
    /// model, whose only way to wait on a backend is to block); counts what it did.
    static func perform(_ work: RequestWork, waitHere: Bool, counters: CounterCells) {
        guard !work.isNone else { return }
        worked(work, cpuNanos: burnAndBlock(work), counters: counters)
        if waitHere {
            if work.waitNanos > 0 { sleep(nanos: work.waitNanos) }
            waited(work, counters: counters)
        }
    }

    /// Burns the CPU and sleeps the blocking part of `work` on this thread, counting nothing (a pool's thread does
    /// this for an event loop, whose counters only its own thread writes); returns the CPU time spent.
    static func burnAndBlock(_ work: RequestWork) -> UInt64 {
        let spent = work.cpuNanos > 0 ? burn(nanos: work.cpuNanos) : 0
        if work.blockNanos > 0 { sleep(nanos: work.blockNanos) }
        return spent
    }

    /// Counts the CPU and the blocking part of `work`, done.
    static func worked(_ work: RequestWork, cpuNanos: UInt64, counters: CounterCells) {
        counters.add(.workCPUMicros, Int(cpuNanos / 1_000))
        counters.add(.workBlockMicros, Int(work.blockNanos / 1_000))
    }

    /// The wait of `work` is over (slept, or its timer fired): the requests' work is done.
    static func waited(_ work: RequestWork, counters: CounterCells) {
        counters.add(.workWaitMicros, Int(work.waitNanos / 1_000))
        counters.add(.workDone, work.requests)
    }

    /// Mixes numbers until this thread has spent `nanos` of CPU time, read on its own clock so that being preempted
    /// does not shorten the work; returns the CPU time spent.
    static func burn(nanos: UInt64) -> UInt64 {
        let start = ThreadCPU.nanos()
        var state = WyRand(seed: start)
        var mixed: UInt64 = 0
        var now = start
        repeat {
            // A few hundred nanoseconds between readings of the clock, itself a few tens.
            for _ in 0..<256 { mixed ^= state.next() }
            now = ThreadCPU.nanos()
        } while now - start < nanos
        // Used, so that the optimizer keeps the loop; the bit says nothing.
        if mixed == 0 { now += 1 }
        return now - start
    }

    /// Sleeps `nanos`, resuming after signals.
    static func sleep(nanos: UInt64) {
        var request = timespec(tv_sec: Int(nanos / 1_000_000_000), tv_nsec: Int(nanos % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
