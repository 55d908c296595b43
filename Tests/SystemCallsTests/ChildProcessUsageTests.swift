#if canImport(Glibc)
import Glibc
#endif
import SystemCalls
import Testing

/// What wait4 reports of a child: its CPU and its context switches, threads that ended included.
@Suite struct ChildProcessUsageTests {
    @Test func countsTheVoluntarySwitchesOfAChildThatWaits() throws {
        // sleep blocks in the kernel for its time: at least one voluntary switch, and next to no CPU.
        let child = try ChildProcess("/bin/sleep", ["0.05"], stdout: .discard, stderr: .discard)
        let usage = child.wait(timeoutSeconds: 10)
        #expect(usage.exit == .status(0))
        #expect(usage.voluntarySwitches >= 1)
        #expect(usage.userSeconds + usage.systemSeconds < 0.05)
    }
}
