/// Everything one worker measured: counters, latency histograms and the timeline. Workers (threads, and worker
/// processes through their JSON) each fill one; ``merge(_:)`` adds them exactly into the run's result.
public struct RunMetrics: Codable, Sendable, Equatable {
    public var counters = Counters()
    /// connect() call to the handshake completing.
    public var connectLatency = LatencyHistogram()
    /// Request sent (greeting: connect() called) to the first response byte.
    public var firstByteLatency = LatencyHistogram()
    /// Request to whole response (greeting: connect() to end of stream). In open loop this counts from the
    /// intended start, so coordinated omission is corrected (as wrk2).
    public var totalLatency = LatencyHistogram()
    /// Open loop only: the same responses timed from the moment the request was actually sent.
    public var uncorrectedLatency: LatencyHistogram?
    /// Open loop only: how late each start was against its schedule.
    public var scheduleLag: LatencyHistogram?
    public var timeline = Timeline()
    /// CPU time (user + system) the workers' threads spent in the measured window, in microseconds.
    public var cpuMicros = 0

    /// - Parameter openLoop: keeps the uncorrected histogram and the schedule lag as well.
    public init(openLoop: Bool = false) {
        if openLoop {
            uncorrectedLatency = LatencyHistogram()
            scheduleLag = LatencyHistogram()
        }
    }

    public mutating func merge(_ other: RunMetrics) {
        counters.merge(other.counters)
        connectLatency.merge(other.connectLatency)
        firstByteLatency.merge(other.firstByteLatency)
        totalLatency.merge(other.totalLatency)
        if let theirs = other.uncorrectedLatency {
            uncorrectedLatency = (uncorrectedLatency ?? LatencyHistogram()).merged(with: theirs)
        }
        if let theirs = other.scheduleLag {
            scheduleLag = (scheduleLag ?? LatencyHistogram()).merged(with: theirs)
        }
        timeline.merge(other.timeline)
        cpuMicros += other.cpuMicros
    }
}

extension LatencyHistogram {
    /// A copy of this histogram with `other` added.
    public func merged(with other: LatencyHistogram) -> LatencyHistogram {
        var copy = self
        copy.merge(other)
        return copy
    }
}
