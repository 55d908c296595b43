#if canImport(Glibc)
import Glibc
#endif

/// What a server does for each request before answering it (`bench serve --work`): burn CPU, wait on a backend, or
/// block its thread, each for a duration drawn per request. A server that does no work answers in under a
/// microsecond, which says nothing about how a model copes with requests that cost something.
public struct WorkPlan: Sendable, Equatable {
    /// CPU spent on the serving thread.
    public var cpu: WorkDuration?
    /// A wait on a simulated backend: a thread model blocks its thread, an event loop arms a timer and serves others.
    public var wait: WorkDuration?
    /// A sleep on whatever thread serves, event loops included: the classic mistake, on purpose.
    public var block: WorkDuration?

    public init(cpu: WorkDuration? = nil, wait: WorkDuration? = nil, block: WorkDuration? = nil) {
        (self.cpu, self.wait, self.block) = (cpu, wait, block)
    }

    /// The longest duration any work may take (`--work` or a query): a request that waits minutes is a mistake, not a
    /// test, and sums of such durations stay far from overflowing.
    public static let longestNanos: UInt64 = 60_000_000_000

    /// No work at all: the sessions draw nothing, and the models take the path they took before work existed.
    public var isNone: Bool { cpu == nil && wait == nil && block == nil }

    /// One request's work.
    public func draw(using random: inout WyRand) -> RequestWork {
        RequestWork(
            cpuNanos: cpu?.draw(using: &random) ?? 0, waitNanos: wait?.draw(using: &random) ?? 0,
            blockNanos: block?.draw(using: &random) ?? 0)
    }

    /// The spec as `--work` takes it back: `cpu=50us,wait=1ms-3ms`.
    public var text: String {
        [("cpu", cpu), ("wait", wait), ("block", block)].compactMap { name, duration in
            duration.map { "\(name)=\($0.text)" }
        }.joined(separator: ",")
    }
}

/// How one kind of work's duration is drawn, in nanoseconds.
public enum WorkDuration: Sendable, Equatable {
    case fixed(UInt64)
    /// Uniform between the bounds, both included.
    case uniform(UInt64, UInt64)
    /// Exponential with this mean: most requests short, a few long, as service times often are.
    case exponential(UInt64)
    /// Each duration with its share of requests (shares sum to 1).
    case mix([(nanos: UInt64, share: Double)])

    public static func == (left: WorkDuration, right: WorkDuration) -> Bool {
        left.text == right.text
    }

    public func draw(using random: inout WyRand) -> UInt64 {
        switch self {
        case .fixed(let nanos):
            return nanos
        case .uniform(let low, let high):
            return low + random.next() % (high - low + 1)
        case .exponential(let mean):
            let drawn = Double(mean) * random.exponential()
            return UInt64(min(drawn, Double(WorkPlan.longestNanos)).rounded())
        case .mix(let parts):
            var point = random.unit()
            for part in parts {
                point -= part.share
                if point < 0 { return part.nanos }
            }
            return parts[parts.count - 1].nanos
        }
    }

    public var text: String {
        switch self {
        case .fixed(let nanos): return Self.text(nanos)
        case .uniform(let low, let high): return "\(Self.text(low))-\(Self.text(high))"
        case .exponential(let mean): return "exp:\(Self.text(mean))"
        case .mix(let parts):
            return parts.map { "\(Self.text($0.nanos)):\(Self.percent($0.share))%" }.joined(separator: ",")
        }
    }

    /// Whole microseconds, as `--work` takes them (and gives them: it reads durations to the microsecond).
    private static func text(_ nanos: UInt64) -> String {
        nanos % 1_000_000 == 0 ? "\(nanos / 1_000_000)ms" : "\(nanos / 1_000)us"
    }

    private static func percent(_ share: Double) -> String {
        let value = share * 100
        return value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// The work of one request, or of every request a chunk of input made whole (added up: a model serves them in turn).
public struct RequestWork: Sendable, Equatable {
    public var cpuNanos: UInt64 = 0
    public var waitNanos: UInt64 = 0
    public var blockNanos: UInt64 = 0
    /// How many requests' work this is (a wait of 0 drawn from a range still counts as a wait done).
    public var requests = 0

    public init(cpuNanos: UInt64 = 0, waitNanos: UInt64 = 0, blockNanos: UInt64 = 0, requests: Int = 1) {
        (self.cpuNanos, self.waitNanos, self.blockNanos, self.requests) = (cpuNanos, waitNanos, blockNanos, requests)
    }

    public static let none = RequestWork(requests: 0)

    public var isNone: Bool { requests == 0 }

    public mutating func add(_ other: RequestWork) {
        cpuNanos += other.cpuNanos
        waitNanos += other.waitNanos
        blockNanos += other.blockNanos
        requests += other.requests
    }
}
