import Driver
import Metrics

/// One step of a capacity search: a rate offered to one model for one window, what came of it and the verdict. Its
/// ``result`` is a cell like a comparison's (summary.csv, latency.csv and timeline.csv hold every step).
public struct KneeStep: Sendable {
    public enum Verdict: String, Sendable {
        case pass
        /// The objective's percentile was over its limit.
        case objective = "fail: objective"
        /// The achieved rate was under ``KneeStep/leastAchieved``: the server is saturated.
        case rate = "fail: rate"
        /// The server failed clients (resets, timeouts, bad responses).
        case failures = "fail: failures"
        /// The window's halves disagreed, and still did in the longest window allowed.
        case unsteady = "fail: unsteady"
    }

    /// A step passes only if it achieved at least this share of the rate it was offered (but see ``leastAchieved``).
    public static let achievedShare = 0.95

    public var result: CellResult
    /// 1-based, per model.
    public var index: Int { result.cell.repetition }
    public var phase: KneePhase
    public var offered: Double
    public var objective: LatencyObjective
    /// The halves' agreement: their percentiles may differ by at most this share of the objective (or within their
    /// intervals, ``percentilesAgree(_:)``), their achieved rates by this share of the offered rate (under Poisson
    /// arrivals, by ``rateSpread(_:)`` where that is more).
    public var tolerance: Double

    public init(result: CellResult, phase: KneePhase, offered: Double, objective: LatencyObjective, tolerance: Double) {
        self.result = result
        self.phase = phase
        self.offered = offered
        self.objective = objective
        self.tolerance = tolerance
    }

    public var model: String { result.cell.model }
    private var drive: DriveResult? { result.drive }

    /// Starts per second in the window (``Driver/DriveResult/achievedRate``).
    public var achieved: Double { drive?.achievedRate ?? 0 }

    /// The least achieved rate that passes: ``achievedShare`` of the offered rate, or, under Poisson arrivals, three
    /// standard deviations of the window's count below the offered rate where that is lower. The count of Poisson
    /// arrivals in a window is itself a Poisson draw: at 1,000/s for 1 s its deviation is 32, and 950 failed a server
    /// that kept up in about one step of 17 (a soak's search of epoll, 2026-12-06: its first step achieved 916 of
    /// 1,000, and epoll was soaked at 689/s). From 3,600/s in a second the 95% is the lower bound, as with uniform
    /// arrivals.
    public var leastAchieved: Double {
        let share = Self.achievedShare * offered
        guard let drive, drive.settings.arrivals == .poisson, drive.elapsedSeconds > 0 else { return share }
        let deviations = 3 * (offered * drive.elapsedSeconds).squareRoot() / drive.elapsedSeconds
        return min(share, offered - deviations)
    }

    /// The objective's percentile of the corrected total latency.
    public var percentileMicros: UInt64 { drive?.metrics.totalLatency.micros(atPercentile: objective.percentile) ?? 0 }

    /// Its 95% confidence interval (``PercentileInterval``); nil without samples.
    public var interval: ClosedRange<UInt64>? {
        drive.flatMap { PercentileInterval.of($0.metrics.totalLatency, percentile: objective.percentile) }
    }

    /// The objective's percentile with its interval, the achieved rate and the length in seconds of each half of the
    /// window (from the timeline's seconds); nil for a window under 2 s, which has no halves to compare.
    public var halves: (first: Half, second: Half)? {
        guard let drive else { return nil }
        let seconds = drive.metrics.timeline.seconds.prefix(Int(drive.elapsedMicros / 1_000_000))
        guard seconds.count >= 2 else { return nil }
        let middle = seconds.startIndex + seconds.count / 2
        func figures(_ part: ArraySlice<Timeline.Second>) -> Half {
            var merged = Timeline.Second()
            for second in part { merged.merge(second) }
            // Greeting: a frame is a connection, so requests count the connections' rate too.
            let rate = Double(merged.requests) / Double(part.count)
            return Half(
                micros: merged.latency.micros(atPercentile: objective.percentile),
                interval: PercentileInterval.of(merged.latency, percentile: objective.percentile), rate: rate,
                seconds: part.count)
        }
        return (figures(seconds[..<middle]), figures(seconds[middle...]))
    }

    /// One half of a window: the objective's percentile and its 95% confidence interval (nil without samples), the
    /// achieved rate, and how many seconds it had (with an odd number of seconds, the second half has one more, and
    /// its figures are the less noisy).
    public struct Half: Sendable {
        public var micros: UInt64
        public var interval: ClosedRange<UInt64>?
        public var rate: Double
        public var seconds: Int
    }

    /// Whether the halves' percentiles agree: within `tolerance` of the objective, or their intervals overlap. A
    /// half's p99 is one of its slowest requests, and a draw: from 200 requests of 1 ms mean (exponential) its
    /// deviation is 0.6 ms, and two halves of a steady server differ by more than 1 ms (10% of a 10 ms objective) one
    /// window in 4 (a simulation of 20,000). Disjoint intervals say that the latency moved; a difference within them
    /// says nothing.
    public func percentilesAgree(_ halves: (first: Half, second: Half)) -> Bool {
        let difference = Double(halves.first.micros) - Double(halves.second.micros)
        if abs(difference) <= tolerance * Double(objective.micros) { return true }
        guard let first = halves.first.interval, let second = halves.second.interval else { return false }
        return first.overlaps(second)
    }

    /// How far the halves' achieved rates may differ: `tolerance` of the offered rate, or, under Poisson arrivals,
    /// three standard deviations of the difference of their counts' rates where that is more (the reasoning of
    /// ``leastAchieved``). At 1,000/s in halves of a second it is 134/s, not 100: two Poisson halves of a server that
    /// kept up differed by more than 10% about one window in 40: a window run again twice as long, and at low rates,
    /// or with `--max-window` no longer than `--duration`, a step failed. From 1,800 starts a half, the default 10% is
    /// the wider again.
    public func rateSpread(_ halves: (first: Half, second: Half)) -> Double {
        let share = tolerance * offered
        guard drive?.settings.arrivals == .poisson else { return share }
        let variance = offered / Double(halves.first.seconds) + offered / Double(halves.second.seconds)
        return max(share, 3 * variance.squareRoot())
    }

    /// Whether the halves agree: percentiles by ``percentilesAgree(_:)``, rates within ``rateSpread(_:)``; true when
    /// there are none to compare.
    public var isSteady: Bool {
        guard let halves else { return true }
        return percentilesAgree(halves) && abs(halves.first.rate - halves.second.rate) <= rateSpread(halves)
    }

    /// The verdict on this window: failures first, then the rate, the objective and the steadiness.
    public var verdict: Verdict {
        guard let drive, result.failure == nil, drive.counters.failures.serverSide == 0 else { return .failures }
        if achieved < leastAchieved { return .rate }
        if !objective.holds(Double(percentileMicros)) { return .objective }
        return isSteady ? .pass : .unsteady
    }

    /// A longer window would settle the verdict: the percentile's interval straddles the objective, or the halves
    /// disagree in a window that would pass otherwise; not when failures or a short rate decided it already, nor when
    /// the whole interval is over the objective, which fails however long it runs.
    public var wantsLongerWindow: Bool {
        guard verdict != .failures && verdict != .rate, let interval else { return false }
        let straddles = interval.lowerBound <= objective.micros && objective.micros < interval.upperBound
        return straddles || (!isSteady && interval.upperBound <= objective.micros)
    }
}

/// Where a step of a capacity search belongs: doubling the rate from the start, or halving the interval around the
/// knee.
public enum KneePhase: String, Sendable {
    case ramp, bisect
}
