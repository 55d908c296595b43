#if canImport(Glibc)
import Glibc
#endif

/// The calling thread's CPU time so far, user and system together (CLOCK_THREAD_CPUTIME_ID): each driver thread
/// reads it at the edges of the measured window, and a server's `--work cpu=` burns until it has moved far enough.
public enum ThreadCPU {
    public static func seconds() -> Double {
        Double(nanos()) / 1e9
    }

    public static func nanos() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
