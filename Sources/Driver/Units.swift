/// Parses the figures people type on a command line, as wrk's units.c does: durations (`10s`, `500ms`, `2m`),
/// counts (`10k`, `1.5m`) and sizes (`16`, `1-4096`). Each failure is a sentence naming what was expected.
public enum Units {
    /// Why a figure could not be read; `description` is the sentence to show.
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let description: String

        public init(description: String) {
            self.description = description
        }
    }

    // Longest suffix first, so "ms" is not read as "m" followed by garbage.
    private static let durationUnits: [(suffix: String, micros: Double)] = [
        ("us", 1), ("ms", 1_000), ("s", 1_000_000), ("m", 60_000_000), ("h", 3_600_000_000),
    ]
    private static let countUnits: [(suffix: String, factor: Double)] = [
        ("k", 1_000), ("m", 1_000_000), ("g", 1_000_000_000),
    ]

    /// A duration in microseconds: a number with `us`, `ms`, `s`, `m` or `h` (bare numbers are seconds).
    public static func durationMicros(_ text: String, option: String) throws(ParseError) -> Int {
        let lowered = text.lowercased()
        let unit = durationUnits.first { lowered.hasSuffix($0.suffix) }
        let digits = unit.map { String(lowered.dropLast($0.suffix.count)) } ?? lowered
        let micros = Double(digits).map { $0 * (unit?.micros ?? 1_000_000) }
        // The bound is on the duration, not on the number: bench writes durations back in microseconds
        // (``LoadSettings/driveArguments``, ``OfferedRate/arguments``), and a bound of 1e9 on the number refused its
        // own 20 minutes, 1200000000us (found by Fuzz/Targets/options). 3.6e18 us is what the largest it let
        // through, 1e9 hours, came to, and fits an Int.
        guard let micros, micros.isFinite, micros >= 0, micros < 3.6e18 else {
            throw ParseError(description: "\(option) takes a duration such as 10s, 500ms or 2m, got '\(text)'")
        }
        return Int(micros.rounded())
    }

    /// A count: a number with an optional `k`, `m` or `g` (thousands, millions, billions).
    public static func count(_ text: String, option: String) throws(ParseError) -> Double {
        let lowered = text.lowercased()
        let unit = countUnits.first { lowered.hasSuffix($0.suffix) }
        let digits = unit.map { String(lowered.dropLast($0.suffix.count)) } ?? lowered
        // The product checked, not the number typed: `.41e308m` is finite, its millions are not (found by
        // Fuzz/Targets/options, Fuzz/corpus/options/count-past-the-largest-double).
        guard let value = Double(digits).map({ $0 * (unit?.factor ?? 1) }), value.isFinite, value >= 0 else {
            throw ParseError(description: "\(option) takes a count such as 100, 10k or 1.5m, got '\(text)'")
        }
        return value
    }

    /// A whole count of at least `minimum`.
    public static func wholeCount(_ text: String, option: String, minimum: Int = 1) throws(ParseError) -> Int {
        let value = try count(text, option: option)
        guard value == value.rounded(), value >= Double(minimum), value <= Double(Int32.max) else {
            throw ParseError(description: "\(option) takes a whole number >= \(minimum) (10k allowed), got '\(text)'")
        }
        return Int(value)
    }

    /// Requests per connection: a whole count, or `unlimited` (``LoadSettings/unlimitedRequests``: the connection is
    /// kept for the whole run, as wrk keeps its connections).
    public static func requests(_ text: String, option: String) throws(ParseError) -> Int {
        if text == "unlimited" { return LoadSettings.unlimitedRequests }
        do {
            return try wholeCount(text, option: option)
        } catch {
            throw ParseError(description: error.description + " (or unlimited)")
        }
    }

    /// How `--requests` writes `count`.
    public static func requestsText(_ count: Int) -> String {
        count == LoadSettings.unlimitedRequests ? "unlimited" : String(count)
    }

    /// A tolerance, written as a percentage (`5%`) by every command that takes one; a bare number is refused rather
    /// than guessed at, since `0.05` could mean 5% or 0.05%.
    public static func tolerance(_ text: String, option: String) throws(ParseError) -> Double {
        guard let percent = share(text), percent < 100 else {
            throw ParseError(description: "\(option) takes a percentage above 0 and below 100, such as 5%, got '\(text)'")
        }
        return percent / 100
    }

    /// A request size: `N` or `MIN-MAX` (uniform), with 1 <= MIN <= MAX <= `maximum`.
    public static func sizeRange(_ text: String, option: String, maximum: UInt32) throws(ParseError)
        -> ClosedRange<UInt32>
    {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        let bounds = parts.map { try? wholeCount(String($0), option: option) }
        guard (1...2).contains(parts.count), let low = bounds.first ?? nil, let high = bounds.last ?? nil,
            low <= high, high <= Int(maximum)
        else {
            throw ParseError(
                description: "\(option) takes N or MIN-MAX with 1 <= MIN <= MAX <= \(maximum), got '\(text)'")
        }
        return UInt32(low)...UInt32(high)
    }

    /// A size mix: `SIZE:P%,SIZE:P%,...`, each SIZE as ``sizeRange(_:option:maximum:)`` takes it, the shares adding up
    /// to 100%. A lone size without a share is the whole (an empty mix).
    public static func sizeMix(_ text: String, option: String, maximum: UInt32) throws(ParseError) -> [SizeShare] {
        guard text.contains(":") else { return [] }
        var shares: [SizeShare] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 2, let percent = share(String(fields[1])) else {
                throw ParseError(description: "\(option) takes a mix such as 16:90%,1m:10% (each part SIZE:P%), got "
                    + "'\(part)' in '\(text)'")
            }
            let range = try sizeRange(String(fields[0]), option: option, maximum: maximum)
            shares.append(SizeShare(min: range.lowerBound, max: range.upperBound, percent: percent))
        }
        try checkWhole(shares.map(\.percent), what: "\(option): the shares of '\(text)'")
        return shares
    }

    /// `backoff` or `backoff=MIN..MAX`, as microseconds.
    public static func backoff(_ text: String, option: String) throws(ParseError) -> ClosedRange<Int> {
        let usage = "\(option) takes backoff or backoff=MIN..MAX (such as backoff=10ms..1s), got '\(text)'"
        if text == "backoff" { return 10_000...1_000_000 }
        guard text.hasPrefix("backoff=") else { throw ParseError(description: usage) }
        let bounds = text.dropFirst("backoff=".count).components(separatedBy: "..")
        guard bounds.count == 2 else { throw ParseError(description: usage) }
        let low = try durationMicros(bounds[0], option: "\(option)'s MIN")
        let high = try durationMicros(bounds[1], option: "\(option)'s MAX")
        guard low <= high else {
            throw ParseError(description: "\(option) backoff=MIN..MAX needs MIN <= MAX, got '\(text)'")
        }
        return low...high
    }

    /// `--share K/N`, 1 <= K <= N: this host's place (from 0) and the number of hosts.
    public static func hostShare(_ text: String) throws(ParseError) -> (index: Int, count: Int) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, (1...n).contains(k) else {
            throw ParseError(
                description: "--share takes K/N with 1 <= K <= N, such as 2/4 for the second of four hosts, "
                    + "not '\(text)'")
        }
        return (k - 1, n)
    }

    /// A share as `P%`, 0 < P <= 100; nil for anything else.
    public static func share(_ text: String) -> Double? {
        guard text.hasSuffix("%"), let percent = Double(text.dropLast()), percent > 0, percent <= 100 else { return nil }
        return percent
    }

    /// Shares must make the whole: `what` (the mix, named as the person gave it) is said to add up to something else.
    static func checkWhole(_ percents: [Double], what: String) throws(ParseError) {
        let total = percents.reduce(0, +)
        guard abs(total - 100) < 1e-6 else {
            throw ParseError(description: "\(what) add up to \(decimal(total))%, not 100%")
        }
    }

    /// `90`, `12.5`: a figure without a trailing `.0`.
    public static func decimal(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
