import Driver

/// What `--objective` holds a run to: a latency percentile under a limit, the share of exchanges that failed under
/// one, or an open loop's achieved share of its offered rate over one. `bench drive` and `bench compare` take several;
/// `bench knee` searches under one of total latency. ``init(parsing:)`` is the one parser of every command.
public enum Objective: Sendable, Equatable, CustomStringConvertible {
    case latency(LatencyObjective)
    /// Failures in percent of the exchanges that ended in the window (valid responses and failures).
    case errors(Comparison, percent: Double)
    /// The achieved rate over the offered one (``Driver/LoadSettings/offeredRate``).
    case achieved(Comparison, share: Double)

    /// How a figure must stand to its limit.
    public enum Comparison: String, Sendable {
        case under = "<"
        case atMost = "<="
        case atLeast = ">="
        case over = ">"

        func holds(_ figure: Double, limit: Double) -> Bool {
            switch self {
            case .under: figure < limit
            case .atMost: figure <= limit
            case .atLeast: figure >= limit
            case .over: figure > limit
            }
        }
    }

    /// Reads `p99<10ms`, `p99.9<=50ms`, `connect.p99<2ms`, `first_byte.p50<1ms`, `errors<0.1%`, `achieved>=0.95` or
    /// `achieved>=95%`; `p99=10ms`, `bench knee`'s first spelling, is `p99<=10ms`. Case and spaces do not matter.
    /// The error names the text, what is wrong with it and how to write it.
    public init(parsing text: String) throws(Units.ParseError) {
        func problem(_ sentence: String) -> Units.ParseError {
            Units.ParseError(description: "--objective '\(text)': \(sentence)")
        }
        let written = String(text.lowercased().filter { !$0.isWhitespace })
        guard let start = written.firstIndex(where: { "<>=".contains($0) }) else {
            throw problem("write MEASURE, a comparison and a limit, such as p99<10ms, connect.p99<2ms, "
                + "first_byte.p99<5ms, errors<0.1% or achieved>=0.95")
        }
        var end = written.index(after: start)
        if written[start] != "=", end < written.endIndex, written[end] == "=" { end = written.index(after: end) }
        let measure = String(written[..<start])
        let symbol = String(written[start..<end])
        let limit = String(written[end...])
        // `=` is knee's first spelling of a latency's limit, which the latency must not pass.
        let comparison = Comparison(rawValue: symbol) ?? .atMost
        switch measure {
        case "errors":
            guard symbol == "<" || symbol == "<=" else {
                throw problem("errors is held under a limit: errors<0.1%, or errors<=0% for none at all")
            }
            guard limit.hasSuffix("%"), let percent = Double(limit.dropLast()), percent >= 0, percent <= 100 else {
                throw problem("errors takes a percentage of the exchanges from 0% to 100%, such as errors<0.1% (a bare "
                    + "number is refused: 0.001 could mean 0.001% or 0.1%)")
            }
            guard percent > 0 || comparison == .atMost else {
                throw problem("no run has under 0% errors; errors<=0% asks for none at all")
            }
            self = .errors(comparison, percent: percent)
        case "achieved":
            guard symbol == ">" || symbol == ">=" else {
                throw problem("achieved is held over a limit: achieved>=0.95 (of the offered rate)")
            }
            let share = limit.hasSuffix("%") ? Double(limit.dropLast()).map { $0 / 100 } : Double(limit)
            guard let share, share > 0, share <= 1 else {
                throw problem("achieved takes a share of the offered rate above 0 and at most 1, such as "
                    + "achieved>=0.95 or achieved>=95%")
            }
            self = .achieved(comparison, share: share)
        default:
            let latency = LatencyObjective.Latency.allCases.first { measure.hasPrefix($0.rawValue + ".") }
            let name = latency.map { measure.dropFirst($0.rawValue.count + 1) } ?? measure[...]
            guard name.first == "p", let percentile = Double(name.dropFirst()), percentile > 0, percentile < 100 else {
                throw problem("'\(measure)' is not a measure: write pP, 0 < P < 100, for a percentile of total "
                    + "latency (p99, p99.9), connect.pP or first_byte.pP for connect or first-byte latency, errors, or "
                    + "achieved")
            }
            guard comparison == .under || comparison == .atMost else {
                throw problem("a latency is held under a limit: \(measure)<10ms or \(measure)<=10ms")
            }
            let micros = try Units.durationMicros(limit, option: "--objective '\(text)': the limit")
            guard micros > 0 else { throw problem("a latency's limit must be above 0, such as \(measure)<10ms") }
            self = .latency(LatencyObjective(
                percentile: percentile, micros: UInt64(micros), latency: latency ?? .total, comparison: comparison))
        }
    }

    /// Why this objective cannot judge a run with `load`; nil when it can.
    public func problem(for load: LoadSettings) -> String? {
        guard case .achieved = self, !load.isOpenLoop else { return nil }
        return "--objective '\(self)': achieved is measured against the offered rate, which only an open loop has: add "
            + "--rate R, or drop this objective"
    }

    /// Whether `figure`, in this objective's ``unit``, meets it.
    public func holds(_ figure: Double) -> Bool {
        switch self {
        case .latency(let latency): latency.holds(figure)
        case .errors(let comparison, let percent): comparison.holds(figure, limit: percent)
        case .achieved(let comparison, let share): comparison.holds(figure, limit: share)
        }
    }

    /// The limit, in ``unit``.
    public var limit: Double {
        switch self {
        case .latency(let latency): Double(latency.micros)
        case .errors(_, let percent): percent
        case .achieved(_, let share): share
        }
    }

    /// What the limit and the figures are in: `us`, `percent` (of the exchanges) or `ratio` (achieved over offered).
    public var unit: String {
        switch self {
        case .latency: "us"
        case .errors: "percent"
        case .achieved: "ratio"
        }
    }

    /// A figure as a person reads it: `4.12ms`, `0.052%`, `0.987`.
    public func format(_ figure: Double) -> String {
        switch self {
        case .latency: SummaryReport.format(micros: UInt64(figure.rounded()))
        case .errors: SummaryCSV.decimal(figure, places: 3) + "%"
        case .achieved: SummaryCSV.decimal(figure, places: 3)
        }
    }

    /// `p99<10.00ms`, `errors<0.1%`, `achieved>=0.95`.
    public var description: String {
        switch self {
        case .latency(let latency): latency.description
        case .errors(let comparison, let percent): "errors\(comparison.rawValue)\(Units.decimal(percent))%"
        case .achieved(let comparison, let share): "achieved\(comparison.rawValue)\(Units.decimal(share))"
        }
    }
}
