/// What a check's findings add up to: the one rule `bench check` ends by, whichever way it measured. A model (or the
/// driver) regressed when any of its metrics regressed beyond the tolerance at the significance level, or when it
/// could not be measured at all in this tree (it failed).
public struct CheckVerdict: Sendable, Equatable {
    /// The subjects that regressed, in the order the findings name them, each once.
    public let regressed: [String]

    public init(_ findings: [Finding]) {
        regressed = findings.filter(\.isRegression).map(\.model).reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
    }

    /// 1 when anything regressed, else 0 (2, a usage or baseline problem, is decided before any finding).
    public var exitCode: Int32 { regressed.isEmpty ? 0 : 1 }

    /// The check's last line, which CI matches: `no regression against NAME` or `REGRESSION against NAME: MODELS`.
    public func line(against name: String) -> String {
        regressed.isEmpty
            ? "no regression against \(name)" : "REGRESSION against \(name): \(regressed.joined(separator: ", "))"
    }
}
