#if canImport(Glibc)
import Glibc
#endif

/// The calling thread's CPU time so far, user and system together (CLOCK_THREAD_CPUTIME_ID): each driver thread
/// reads it at the edges of the measured window.
public enum ThreadCPU {
    public static func seconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
