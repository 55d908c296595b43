/// An open loop's offered rate (`--rate`, `--step`): connections per second (greeting, echo) or requests per second
/// (the others), held or changing over the measured window. The warmup runs at the first rate, so that the window
/// opens on a server already settled at the load it starts from.
public enum OfferedRate: Codable, Sendable, Equatable {
    /// `--rate N`: N throughout.
    case constant(Double)
    /// `--rate A..B`: from A as the window opens to B as it closes, linearly (a ramp down when B < A).
    case ramp(from: Double, to: Double)
    /// `--rate A,B,C --step T`: each rate for T in turn from the window's opening; the last one holds to its end.
    case steps([Double], stepMicros: Int)

    /// Every rate named, in order.
    public var rates: [Double] {
        switch self {
        case .constant(let rate): [rate]
        case .ramp(let from, let to): [from, to]
        case .steps(let rates, _): rates
        }
    }

    /// Steps: the time they take together, which a run's window defaults to; nil for a rate that fits any window.
    public var stepsMicros: Int? {
        guard case .steps(let rates, let step) = self else { return nil }
        return rates.count * step
    }

    /// The options that ask for this rate, as `bench drive` takes them.
    public var arguments: [String] {
        switch self {
        case .constant(let rate): ["--rate", String(rate)]
        case .ramp(let from, let to): ["--rate", "\(from)..\(to)"]
        case .steps(let rates, let step):
            ["--rate", rates.map { String($0) }.joined(separator: ","), "--step", "\(step)us"]
        }
    }

    /// The mean rate over a window of `windowMicros`: what the achieved rate of the whole window is held against.
    public func mean(windowMicros: Int) -> Double {
        guard windowMicros > 0 else { return rates[0] }
        let seconds = Double(windowMicros) / 1e6
        return RateCurve(self, windowMicros: windowMicros).starts(from: 0, to: seconds) / seconds
    }

    /// Reads `--rate` and `--step`: nil when neither is given. Whether each rate is at least 1 a second, and whether
    /// the window holds every step, are the settings' to say (``LoadSettings/problem(descriptorLimit:)``).
    public static func parse(rate text: String?, step: String?) throws(Units.ParseError) -> OfferedRate? {
        guard let text else {
            guard step == nil else {
                throw Units.ParseError(
                    description: "--step is how long each rate of a --rate list holds: give one, such as "
                        + "--rate 1k,2k,4k --step 10s")
            }
            return nil
        }
        if text.contains("..") {
            let ends = text.components(separatedBy: "..").map { try? Units.count($0, option: "--rate") }
            guard ends.count == 2, let from = ends[0] ?? nil, let to = ends[1] ?? nil else {
                throw Units.ParseError(
                    description: "--rate A..B takes a rate at each end, such as 1k..10k (a ramp over --duration), "
                        + "got '\(text)'")
            }
            guard step == nil else {
                throw Units.ParseError(
                    description: "--step applies to a --rate list such as 1k,2k,4k; a ramp A..B spans --duration")
            }
            return .ramp(from: from, to: to)
        }
        if text.contains(",") {
            let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            let rates = parts.compactMap { try? Units.count(String($0), option: "--rate") }
            guard rates.count == parts.count else {
                throw Units.ParseError(description: "--rate A,B,C takes a rate in each place, such as 1k,2k,4k, got '\(text)'")
            }
            guard let step else {
                throw Units.ParseError(
                    description: "--rate \(text) holds each rate for --step in turn: give it, such as --step 10s")
            }
            let micros = try Units.durationMicros(step, option: "--step")
            guard micros > 0 else {
                throw Units.ParseError(description: "--step takes a duration above zero, such as 10s, got '\(step)'")
            }
            return .steps(rates, stepMicros: micros)
        }
        guard step == nil else {
            throw Units.ParseError(
                description: "--step applies to a --rate list such as 1k,2k,4k, not to the one rate '\(text)'")
        }
        return .constant(try Units.count(text, option: "--rate"))
    }
}
