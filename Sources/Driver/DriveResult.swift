import Foundation
import Metrics

/// The outcome of one `bench drive` run: the settings used, every count and histogram merged over all workers
/// and processes, and how long the measured window was. It is what the summary prints and what the CSV files
/// (summary, latency spectrum, timeline) are written from; worker processes send it to their parent as JSON.
public struct DriveResult: Codable, Sendable {
    public var settings: LoadSettings
    /// Wall-clock start of the run (the warmup included).
    public var startedAt: Date
    /// Length of the measured window (warmup excluded); count mode: from start to the last connection's end.
    public var elapsedMicros: Int
    public var metrics: RunMetrics
    /// SIGINT stopped the run early; the figures cover what ran.
    public var interrupted: Bool

    public init(settings: LoadSettings, startedAt: Date, elapsedMicros: Int, metrics: RunMetrics,
                interrupted: Bool) {
        self.settings = settings
        self.startedAt = startedAt
        self.elapsedMicros = elapsedMicros
        self.metrics = metrics
        self.interrupted = interrupted
    }

    /// Adds another process's result: counts and histograms exactly; the window is the longest of the two.
    public mutating func merge(_ other: DriveResult) {
        metrics.merge(other.metrics)
        elapsedMicros = max(elapsedMicros, other.elapsedMicros)
        startedAt = min(startedAt, other.startedAt)
        interrupted = interrupted || other.interrupted
    }

    public var counters: Counters { metrics.counters }
    public var elapsedSeconds: Double { Double(elapsedMicros) / 1e6 }

    /// Connections completed per second of the measured window.
    public var connectionsPerSecond: Double { rate(counters.connectionsCompleted) }
    /// Valid responses per second (greeting: frames, one per connection).
    public var requestsPerSecond: Double { rate(counters.requests) }
    /// Response bytes per second, in MB (10^6 bytes).
    public var megabytesPerSecond: Double { rate(counters.bytesReceived) / 1e6 }
    /// What an open loop paces, per second of the window: connections (greeting, echo) or requests (the others);
    /// to be set against ``LoadSettings/offeredRate``.
    public var achievedRate: Double { settings.ratePacesConnections ? connectionsPerSecond : requestsPerSecond }

    /// `--hlog`: the window's seconds as HdrHistogram's interval log, stamped with the wall-clock end of the warmup;
    /// nil for a run that kept no interval histograms.
    public var intervalLog: IntervalLog? {
        guard let intervals = metrics.intervals else { return nil }
        let warmup = settings.isCountMode ? 0 : Double(settings.warmupMicros) / 1e6
        return IntervalLog(
            intervals, windowStart: startedAt.timeIntervalSince1970 + warmup, windowSeconds: elapsedSeconds,
            openLoop: settings.isOpenLoop)
    }

    private func rate(_ count: Int) -> Double { elapsedMicros > 0 ? Double(count) / elapsedSeconds : 0 }
}
