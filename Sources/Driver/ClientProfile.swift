/// One kind of client in a mix (`--mix 'watchdog=10%,requests=1,think=5s; typical=80%,requests=10,think=200ms'`): a
/// share of the clients, each making `requests` requests per connection with its own think time. Each profile's
/// figures are kept apart, and the run's are the sum of them.
public struct ClientProfile: Codable, Sendable, Equatable {
    public var name: String
    public var percent: Double
    public var requestsPerConnection: Int
    public var thinkMicros: Int
    public var jitterMicros: Int

    public init(name: String, percent: Double, requestsPerConnection: Int, thinkMicros: Int, jitterMicros: Int) {
        self.name = name
        self.percent = percent
        self.requestsPerConnection = requestsPerConnection
        self.thinkMicros = thinkMicros
        self.jitterMicros = jitterMicros
    }

    /// Profiles separated by `;`, each `NAME=P%` then `,key=value` for requests, think and jitter; what a profile
    /// leaves out comes from `defaults` (the run's --requests, --think, --jitter).
    public static func parse(_ text: String, defaults: ClientProfile) throws(Units.ParseError) -> [ClientProfile] {
        let usage = "--mix takes profiles such as 'watchdog=10%,requests=1,think=5s; typical=90%,requests=10'"
        var profiles: [ClientProfile] = []
        for part in text.split(separator: ";") where !part.allSatisfy(\.isWhitespace) {
            var profile = defaults
            let fields = part.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            // A part of commas alone has no NAME=P%: it was taken as the defaults, a profile without a name that
            // bench then wrote back as '=100%,...' (found by Fuzz/Targets/options).
            guard !fields.isEmpty else {
                throw Units.ParseError(description: "\(usage): each profile begins NAME=P%, got '\(part)'")
            }
            for (index, field) in fields.enumerated() {
                let pair = field.split(separator: "=", maxSplits: 1).map(String.init)
                guard pair.count == 2, !pair[0].isEmpty else {
                    throw Units.ParseError(description: "\(usage); got '\(field)' in '\(part)'")
                }
                let (key, value) = (pair[0], pair[1])
                if index == 0 {
                    guard let percent = Units.share(value),
                        key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
                    else {
                        throw Units.ParseError(description: "\(usage): each profile begins NAME=P%, got '\(field)'")
                    }
                    (profile.name, profile.percent) = (key, percent)
                    continue
                }
                switch key {
                case "requests": profile.requestsPerConnection = try Units.wholeCount(value, option: "--mix requests")
                case "think": profile.thinkMicros = try Units.durationMicros(value, option: "--mix think")
                case "jitter": profile.jitterMicros = try Units.durationMicros(value, option: "--mix jitter")
                default:
                    throw Units.ParseError(
                        description: "--mix: '\(key)' is not a profile setting (requests, think, jitter) in '\(part)'")
                }
            }
            if profile.jitterMicros > profile.thinkMicros {
                throw Units.ParseError(description: "--mix: \(profile.name)'s jitter exceeds its think time")
            }
            profiles.append(profile)
        }
        guard !profiles.isEmpty else { throw Units.ParseError(description: usage) }
        let names = profiles.map(\.name)
        guard Set(names).count == names.count else {
            throw Units.ParseError(description: "--mix: each profile needs its own name, got \(names)")
        }
        try Units.checkWhole(profiles.map(\.percent), what: "--mix: the profiles' shares")
        return profiles
    }

    /// Which profile client `index` of `clients` belongs to: the shares laid end to end over the clients, so each
    /// profile gets its share to within one client.
    public static func profile(ofClient index: Int, clients: Int, in profiles: [ClientProfile]) -> Int {
        let position = (Double(index) + 0.5) / Double(clients) * 100
        var bound = 0.0
        for (place, profile) in profiles.enumerated() {
            bound += profile.percent
            if position < bound { return place }
        }
        return profiles.count - 1
    }
}
