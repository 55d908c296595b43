import Driver

/// Everything measured in one cell of a comparison (one model, one client count, one repetition), or in one
/// `bench drive --csv` run: what the driver saw, what the server used, and the machine floor of the moment.
public struct CellResult: Sendable {
    public var cell: ComparePlan.Cell
    /// The protocol and load settings the cell ran with (also when it failed before driving).
    public var settings: LoadSettings
    /// `nil` when the cell failed before any load ran (the server did not start).
    public var drive: DriveResult?
    /// `nil` for a server this program did not start.
    public var server: ServerUsage?
    /// `nil` when no floor was measured (`bench drive`).
    public var floor: MachineFloor?
    /// `nil` when the cell ran to its end; otherwise why it counts as failed.
    public var failure: String?

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

    /// `ok`, or `failed: REASON`, as the status column says.
    public var status: String { failure.map { "failed: " + $0 } ?? "ok" }

    /// Server CPU (user + system) in the measured window per valid response in it, in microseconds; nil
    /// without both figures.
    public var serverCPUMicrosPerRequest: Double? {
        guard let cpu = server?.windowCPUSeconds, let requests = drive?.counters.requests, requests > 0 else {
            return nil
        }
        return cpu * 1e6 / Double(requests)
    }
}
