import Driver

/// Everything measured in one cell of a comparison (one model, one client count, one repetition), or in one
/// `bench drive --csv` run: what the driver saw, what the server used, and the machine floor of the moment.
public struct CellResult: Sendable {
    public var cell: ComparePlan.Cell
    /// The protocol and load settings the cell ran with (also when it failed before driving).
    public var settings: LoadSettings
    /// `nil` when the cell failed before any load ran (the server did not start).
    public var drive: DriveResult?
    /// `nil` for a server this program did not start, or one still running (a step of `bench knee`).
    public var server: ServerUsage?
    /// The server's CPU seconds (user + system) in the measured window, when it could be sampled.
    public var serverWindowCPUSeconds: Double?
    /// The system calls the server entered in the measured window, where the kernel counts them.
    public var serverWindowSystemCalls: UInt64?
    /// Cores the server could keep busy in the run: its serving threads or processes, at most the cores it may run on
    /// (one when pinned); nil when not known.
    public var serverCores: Int?
    /// `nil` when no floor was measured (`bench drive`).
    public var floor: MachineFloor?
    /// `nil` when the cell ran to its end; otherwise why it counts as failed (or was skipped).
    public var failure: String?
    /// The failure is this system's refusal of the model (``ServerUnavailable``, io_uring disabled): the cell is
    /// skipped with the reason and does not fail the run.
    public var skipped = false
    /// The commit of the build that served (or drove) the cell, when it is not this tree's (`bench check --against`).
    public var commit: String?
    /// CPU seconds (user + system) a driver run as a child used in the measured window, sampled from outside (for
    /// builds whose summary.csv does not say).
    public var driverCPUSeconds: Double?
    /// How much of the machine's CPU time the hypervisor took during the measured window, in percent.
    public var stealPercent: Double?
    /// How much of the machine's CPU time was wanted during the measured window (everything but idle), in percent.
    public var machineBusyPercent: Double?
    /// A drive that ran in a child process (`bench check`'s driver pairs): the summary.csv row it wrote, whose
    /// figures stand in for ``drive``.
    public var childSummary: [String: String]?

    public init(
        cell: ComparePlan.Cell, settings: LoadSettings, drive: DriveResult?, server: ServerUsage?,
        floor: MachineFloor?, failure: String?
    ) {
        self.cell = cell
        self.settings = settings
        self.drive = drive
        self.server = server
        self.floor = floor
        self.failure = failure
    }

    /// The client profile these figures are of (``profiles``); nil for the whole run.
    public var profile: String?

    /// A client mix: one result per profile, with that profile's figures and none of the server's (which are the
    /// whole run's); empty without a mix.
    public var profiles: [CellResult] {
        guard let drive else { return [] }
        return zip(settings.mix, drive.metrics.profiles).map { profile, metrics in
            var part = self
            part.profile = profile.name
            part.drive?.metrics = metrics
            (part.server, part.serverWindowCPUSeconds, part.serverCores) = (nil, nil, nil)
            part.serverWindowSystemCalls = nil
            part.floor = nil
            part.childSummary = nil
            return part
        }
    }

    /// `ok`, `failed: REASON` or `skipped: REASON`, as the status column says.
    public var status: String { failure.map { (skipped ? Self.skippedStatus : "failed: ") + $0 } ?? "ok" }

    /// How the status of a skipped cell begins.
    public static let skippedStatus = "skipped: "

    /// The cell failed, which fails the run; a skipped one did not.
    public var failed: Bool { failure != nil && !skipped }

    /// Server CPU (user + system) in the measured window per valid response in it, in microseconds; nil
    /// without both figures.
    public var serverCPUMicrosPerRequest: Double? {
        guard let cpu = serverWindowCPUSeconds, let requests, requests > 0 else {
            return nil
        }
        return cpu * 1e6 / Double(requests)
    }

    /// The server's CPU time in the measured window as a percentage of what the cores it could keep busy had
    /// (``serverCores``); nil without both.
    public var serverBusyPercent: Double? {
        guard let cpu = serverWindowCPUSeconds, let cores = serverCores, let drive, drive.elapsedMicros > 0
        else { return nil }
        return 100 * cpu * 1e6 / Double(drive.elapsedMicros) / Double(cores)
    }

    /// `server_bound`: the server used at least ``DriverHealth/busyLimitPercent`` of its cores; nil when unknown.
    public var serverBound: Bool? { serverBusyPercent.map { $0 >= DriverHealth.busyLimitPercent } }

    /// The driver's verdict (``DriverHealth``), for this process's own drive; nil for a profile's part or a child's.
    public var driverHealth: DriverHealth? {
        guard let drive, profile == nil else { return nil }
        return DriverHealth(drive)
    }

    /// Which side limited a cell.
    public enum Bound: String, Sendable {
        /// A driver thread was busy all the time, or its loop ran late while the machine had cores to spare.
        case driver
        /// The server used nearly all the cores it could keep busy.
        case server
        case both
        /// The two sides together kept every core busy, and neither used up its own share: they took turns, so a
        /// driver's loop ran late whenever the server held the core. The rates say how the cores were shared; the
        /// server's CPU per request says what it costs.
        case machine
        /// Latency, think time or the network set the pace.
        case neither
    }

    /// Which side limited the cell; nil when neither side could be judged.
    public var bound: Bound? {
        let driverBusy = driverHealth.map { $0.busiestPercent >= DriverHealth.busyLimitPercent }
        let machineBusy = machineBusyPercent.map { $0 >= DriverHealth.busyLimitPercent } ?? false
        switch (driverHealth?.isBound, serverBound) {
        case (true, true) where driverBusy == true: return .both
        case (_, true): return .server
        case (true, _) where driverBusy != true && machineBusy: return .machine
        case (true, _): return .driver
        case (false, false): return .neither
        default: return nil
        }
    }

    /// The server's context switches (voluntary and involuntary) over its life per request it counted itself.
    /// The server's system calls per valid response in the measured window: what most of a server's time in the
    /// kernel comes down to, and what io_uring's batching is for.
    public var systemCallsPerRequest: Double? {
        guard let calls = serverWindowSystemCalls, let requests, requests > 0 else { return nil }
        return Double(calls) / Double(requests)
    }

    public var contextSwitchesPerRequest: Double? {
        guard let voluntary = server?.voluntarySwitches, let involuntary = server?.involuntarySwitches,
            let served = server?.counters?.requests, served > 0
        else { return nil }
        return Double(voluntary + involuntary) / Double(served)
    }

    /// Valid responses in the measured window, from the drive in this process or the child's summary.
    public var requests: Int? {
        drive?.counters.requests ?? childSummary?["requests"].flatMap { Int($0) }
    }

    /// Driver CPU (user + system) in the measured window per valid response in it, in microseconds, as the driver's
    /// threads measured themselves (a child's summary says it, when its build measures it).
    public var driverCPUMicrosPerRequest: Double? {
        if let childSummary { return childSummary["driver_cpu_us_per_request"].flatMap(Double.init) }
        // The driver's threads serve every profile at once: its cost belongs to the whole cell.
        guard let drive, drive.counters.requests > 0, profile == nil else { return nil }
        return Double(drive.metrics.cpuMicros) / Double(drive.counters.requests)
    }

    /// The same, sampled from outside a driver run as a child (its whole process, between two reads of /proc), for
    /// builds whose driver does not measure itself.
    public var sampledDriverCPUMicrosPerRequest: Double? {
        guard let cpu = driverCPUSeconds, let requests, requests > 0 else { return nil }
        return cpu * 1e6 / Double(requests)
    }
}
