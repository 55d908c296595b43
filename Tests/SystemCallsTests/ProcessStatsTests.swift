#if canImport(Glibc)
import Glibc
#endif
import SystemCalls
import Testing

/// ProcessStats reads this test process's own group from /proc: what it reports must be there and must move.
@Suite struct ProcessStatsTests {
    @Test func readsMemoryDescriptorsAndThreadsOfItsGroup() throws {
        let stats = try #require(ProcessStats.group(getpgrp()))
        #expect(stats.peakResidentKiB > 1024)
        #expect(stats.descriptors >= 3)
        #expect(stats.threads >= 1)
        #expect(stats.cpuSeconds > 0)
    }

    @Test func aGroupWithNoProcessIsNil() {
        // Process group ids are process ids; pid_max is at most 2^22 on Linux.
        #expect(ProcessStats.group(pid_t(1 << 22) + 1) == nil)
    }
}
