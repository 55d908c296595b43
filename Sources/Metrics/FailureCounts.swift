/// How many failures of each ``FailureKind`` a worker saw: a fixed array indexed by kind, so counting one is an
/// increment with no hashing and no allocation.
public struct FailureCounts: Codable, Sendable, Equatable {
    private var counts = [Int](repeating: 0, count: FailureKind.allCases.count)

    public init() {}

    private static func index(_ kind: FailureKind) -> Int {
        FailureKind.allCases.firstIndex(of: kind)!
    }

    public subscript(kind: FailureKind) -> Int {
        get { counts[Self.index(kind)] }
        set { counts[Self.index(kind)] = newValue }
    }

    /// Failures the server caused (every kind but ``FailureKind/localResource``).
    public var serverSide: Int { FailureKind.allCases.filter(\.isServerSide).reduce(0) { $0 + self[$1] } }
    /// Failures that say the driver hit its own limit.
    public var driverLocal: Int { self[.localResource] }
    public var total: Int { counts.reduce(0, +) }

    public mutating func merge(_ other: FailureCounts) {
        for index in counts.indices { counts[index] += other.counts[index] }
    }

    // Coded as {"connect_refused": 3, ...}, so the JSON a worker process sends names what it counts.
    public init(from decoder: Decoder) throws {
        let byName = try [String: Int](from: decoder)
        for kind in FailureKind.allCases { self[kind] = byName[kind.rawValue] ?? 0 }
    }

    public func encode(to encoder: Encoder) throws {
        try Dictionary(uniqueKeysWithValues: FailureKind.allCases.map { ($0.rawValue, self[$0]) }).encode(to: encoder)
    }
}
