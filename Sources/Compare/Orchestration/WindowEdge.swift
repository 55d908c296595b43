import SystemCalls

/// What is sampled at each edge of a cell's measured window: the CPU time of the process under test (a server, or a
/// driver run as a child), of the driver, and of the machine (for the hypervisor's steal). The figures per request
/// are the differences between the two edges, so start-up and warmup are left out.
struct WindowEdge {
    var process: Double?
    var driver: Double?
    var machine: CPUTimes

    /// Now: `process` reads the CPU seconds of the process under test, `driver` those of the driver.
    static func now(process: () -> Double?, driver: () -> Double?) -> WindowEdge {
        WindowEdge(process: process(), driver: driver(), machine: CPUTimes.now())
    }

    /// The process's, the driver's CPU seconds, the steal and the machine's busy percentage between `start` and
    /// `end`.
    static func between(_ start: WindowEdge, _ end: WindowEdge) -> (
        process: Double?, driver: Double?, stealPercent: Double?, machineBusyPercent: Double?
    ) {
        func difference(_ first: Double?, _ second: Double?) -> Double? {
            guard let first, let second else { return nil }
            return second - first
        }
        return (
            difference(start.process, end.process), difference(start.driver, end.driver),
            end.machine.stealPercent(since: start.machine), end.machine.busyPercent(since: start.machine)
        )
    }
}
