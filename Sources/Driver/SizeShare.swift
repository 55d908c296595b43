/// One part of a size mix (`--size 16:90%,1m:10%`): requests of `min...max` bytes (uniform), asked `percent` of the
/// time. Each part's latencies are kept apart, so that a mix says how its small requests fared beside its large ones.
public struct SizeShare: Codable, Sendable, Equatable {
    public var min: UInt32
    public var max: UInt32
    public var percent: Double

    public init(min: UInt32, max: UInt32, percent: Double) {
        self.min = min
        self.max = max
        self.percent = percent
    }

    /// `16`, `1-4096`.
    public var sizeText: String { min == max ? String(min) : "\(min)-\(max)" }

    /// The mix as `--size` takes it: `16:90%,1000000:10%`.
    public static func text(_ shares: [SizeShare]) -> String {
        shares.map { "\($0.sizeText):\(Units.decimal($0.percent))%" }.joined(separator: ",")
    }
}
