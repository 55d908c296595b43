#if canImport(Glibc)
import Glibc
#endif
import SystemCalls
import Testing

/// The kernel's count of a process group's system calls, a thread started after counting began included.
@Suite struct SyscallCounterTests {
    static let counts = (try? SyscallCounter(group: getpgrp())) != nil

    /// A child that waits on a pipe, then calls getppid(2) (no library caches it) N times on its main thread and N on
    /// a thread it starts only then: counted, the sum is at least 2N, and the rest (the thread's start, the reads,
    /// the line written) is small beside it. Without inheritance it would be about N.
    @Test(.enabled(if: counts, "perf_event_open or tracefs is not available to this user"))
    func countsEveryThreadIncludingOnesStartedLater() throws {
        let calls = 200_000
        var control: [Int32] = [-1, -1]
        try #require(pipe(&control) == 0)
        defer { close(control[1]) }
        let script = """
            import os, sys, threading
            os.read(3, 1)
            def calls():
                for _ in range(\(calls)): os.getppid()
            calls()
            thread = threading.Thread(target=calls)
            thread.start()
            thread.join()
            sys.stdout.write("done\\n")
            sys.stdout.flush()
            os.read(3, 1)
            """
        let child = try ChildProcess(
            "python3", ["-c", script], stdout: .pipe, searchPath: true, inherits: [control[0]])
        close(control[0])
        defer { _ = child.stop(timeoutSeconds: 5) }
        let counter = try SyscallCounter(group: child.pid)
        let before = try #require(counter.count())
        #expect(write(control[1], "g", 1) == 1)
        #expect(child.readFirstLine(timeoutSeconds: 30).line == "done")
        let counted = try #require(counter.count()) - before
        #expect(counted >= UInt64(2 * calls), "counted \(counted)")
        #expect(counted < UInt64(2 * calls + 20_000), "counted \(counted)")
    }
}
