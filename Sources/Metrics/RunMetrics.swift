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
    /// Open loop only: each client's gaps between two intended starts, as its schedule drew them, whatever the
    /// machine then did: the arrivals the run asked for.
    public var arrivalGaps: LatencyHistogram?
    /// A size mix: the total latency of each part's requests, in the mix's order; empty without a mix.
    public var sizeLatency: [LatencyHistogram] = []
    public var timeline = Timeline()
    /// `--hlog` only: every latency, second by second, for HdrHistogram's interval log.
    public var intervals: IntervalHistograms?
    /// Idle and slow clients beside the measured ones; nil when the run has none.
    public var background: BackgroundClients?
    /// A client mix: each profile's own figures, in the mix's order (the run's are their sum); empty without one.
    public var profiles: [RunMetrics] = []
    /// `--reconnect backoff` only: the backoff waits and the recovery after an outage.
    public var reconnect: ReconnectFigures?
    /// `--tls` only: handshakes timed and counted, and what they agreed on.
    public var tls: TLSFigures?
    /// CPU time (user + system) each driver thread spent in the measured window, in microseconds, one entry per
    /// thread (of every process, once merged).
    public var threadCPUMicros: [Int] = []
    /// How late the driver's loop noticed what was due (a timer, or its own 10 ms probe) in the measured window:
    /// a loop that lags is measuring itself, not the server.
    public var loopLag = LatencyHistogram()

    /// CPU time of all driver threads in the measured window, in microseconds.
    public var cpuMicros: Int { threadCPUMicros.reduce(0, +) }

    /// - Parameter openLoop: keeps the uncorrected histogram, the schedule lag and the arrival gaps as well.
    /// - Parameter sizeShares: parts of the size mix, each timed apart.
    /// - Parameter intervals: keeps the interval histograms as well.
    public init(
        openLoop: Bool = false, sizeShares: Int = 0, background: Bool = false, reconnect: Bool = false,
        intervals: Bool = false, tls: Bool = false
    ) {
        if tls { self.tls = TLSFigures() }
        if intervals { self.intervals = IntervalHistograms() }
        if background { self.background = BackgroundClients() }
        if reconnect { self.reconnect = ReconnectFigures() }
        sizeLatency = Array(repeating: LatencyHistogram(), count: sizeShares)
        if openLoop {
            uncorrectedLatency = LatencyHistogram()
            scheduleLag = LatencyHistogram()
            arrivalGaps = LatencyHistogram()
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
        if let theirs = other.arrivalGaps {
            arrivalGaps = (arrivalGaps ?? LatencyHistogram()).merged(with: theirs)
        }
        if sizeLatency.isEmpty { sizeLatency = other.sizeLatency }
        else { for index in other.sizeLatency.indices { sizeLatency[index].merge(other.sizeLatency[index]) } }
        timeline.merge(other.timeline)
        if let theirs = other.intervals {
            var ours = intervals ?? IntervalHistograms()
            ours.merge(theirs)
            intervals = ours
        }
        if profiles.isEmpty { profiles = other.profiles }
        else { for index in other.profiles.indices { profiles[index].merge(other.profiles[index]) } }
        if let theirs = other.reconnect {
            var ours = reconnect ?? ReconnectFigures()
            ours.merge(theirs)
            reconnect = ours
        }
        if let theirs = other.background {
            var ours = background ?? BackgroundClients()
            ours.merge(theirs)
            background = ours
        }
        if let theirs = other.tls {
            var ours = tls ?? TLSFigures()
            ours.merge(theirs)
            tls = ours
        }
        threadCPUMicros += other.threadCPUMicros
        loopLag.merge(other.loopLag)
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
