#if canImport(Glibc)
import Glibc
#endif

/// Raises the soft RLIMIT_NOFILE to the hard limit, once, before any subcommand runs: 10,000 clients need
/// 10,000 descriptors and the usual soft limit is 1,024. Returns the soft limit now in force, which the
/// driver checks a run against before it starts.
@discardableResult
func raiseDescriptorLimit() -> Int {
    var limit = rlimit()
    guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
    if limit.rlim_cur < limit.rlim_max {
        var raised = limit
        raised.rlim_cur = limit.rlim_max
        if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
    }
    return Int(clamping: limit.rlim_cur)
}
