import Driver
import SystemCalls

/// A drive of a running server, with the server's CPU time and the machine's steal sampled at the edges of the
/// measured window: what a comparison's cell and each step of `bench knee` measure.
struct MeasuredDrive {
    var drive: DriveResult
    /// The server's CPU seconds (user + system) in the window; nil when /proc could not be read.
    var serverCPUSeconds: Double?
    /// The system calls the server entered in the window; nil where they are not counted.
    var serverSystemCalls: UInt64?
    var stealPercent: Double?
    /// How busy the whole machine was in the window, in percent of its cores' time.
    var machineBusyPercent: Double?
    /// The server's figures at the window's end (count mode: the drive's end).
    var endStats: ProcessStats?

    /// Drives `server` with `load` (its port already set) and samples it when the warmup ends and when the window
    /// does; a server this program did not start (nil) has no figures.
    static func run(_ load: LoadSettings, against server: ServerProcess?) async -> MeasuredDrive {
        let started = ContinuousClock.now
        async let driving = LoadRun.run(load)
        let measuredFrom = started + .microseconds(load.isCountMode ? 0 : load.warmupMicros)
        try? await Task.sleep(until: measuredFrom, clock: .continuous)
        let firstStats = server?.stats()
        let first = WindowEdge.now(process: { firstStats?.cpuSeconds }, driver: { nil })
        var last: (edge: WindowEdge, stats: ProcessStats?)?
        if !load.isCountMode {
            try? await Task.sleep(until: measuredFrom + .microseconds(load.durationMicros), clock: .continuous)
            let stats = server?.stats()
            last = (WindowEdge.now(process: { stats?.cpuSeconds }, driver: { nil }), stats)
        }
        let drive = await driving
        let end = last ?? {
            let stats = server?.stats()
            return (WindowEdge.now(process: { stats?.cpuSeconds }, driver: { nil }), stats)
        }()
        let window = WindowEdge.between(first, end.edge)
        var calls: UInt64?
        if let before = firstStats?.systemCalls, let after = end.stats?.systemCalls { calls = after - before }
        return MeasuredDrive(
            drive: drive, serverCPUSeconds: window.process, serverSystemCalls: calls, stealPercent: window.stealPercent,
            machineBusyPercent: window.machineBusyPercent, endStats: end.stats)
    }
}
