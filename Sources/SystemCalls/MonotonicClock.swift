#if canImport(Glibc)
import Glibc
#endif

/// CLOCK_MONOTONIC in nanoseconds: the one clock every latency and schedule of the driver is read from, so
/// threads of one process agree on start and end times (and the comparison's deadlines cannot be moved by a change
/// of the wall clock).
public enum MonotonicClock {
    public static func nanos() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    public static func seconds() -> Double {
        Double(nanos()) / 1e9
    }

    /// `duration` in nanoseconds of this clock, 0 for a negative one.
    public static func nanos(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }
}
