/// What each subject of a paired run (`bench check --against`) is paired with: the other build's cells (its model,
/// or its `bench drive` for the driver), the reference server in the place of a model the other build lacks, or
/// nothing, with the reason its cells run in this build alone (not compared, failing nothing).
///
/// Over TLS the other build must speak it too: a build older than TLS support takes no `--tls` in its `bench serve`
/// or `bench drive`, and would refuse the option, so those of its cells are not run; refserver speaks no TLS at all.
/// So with work per request: a build older than `--work` cannot serve the models' cells (the driver's pairs need
/// no work from their fixed server).
public struct Pairing: Sendable {
    /// Whom a subject's cells pair with.
    public enum Partner: Sendable, Equatable {
        case paired(ComparePlan.Cell.Build)
        /// No counterpart; the reason, for the table (`the other build speaks no TLS`).
        case alone(String)

        /// The build of a pair, nil alone.
        public var build: ComparePlan.Cell.Build? {
            if case .paired(let build) = self { build } else { nil }
        }
    }

    /// The models the other build has (its `bench models`).
    public var againstModels: Set<String>
    /// Why the reference server cannot stand in for a model the other build lacks (`FixedServer.choose`'s reason
    /// for not driving it); nil when it can.
    public var referenceUnavailable: String?
    /// Over TLS: whether the other build's `bench serve` and `bench drive` take `--tls`
    /// (``AgainstBuild/takesTLS(_:)``); nil in plaintext, where nothing is asked of them.
    public var againstTLS: (serve: Bool, drive: Bool)?
    /// With work per request: whether the other build's `bench serve` takes `--work`; nil without work.
    public var againstWork: Bool?

    public init(
        againstModels: Set<String>, referenceUnavailable: String?, againstTLS: (serve: Bool, drive: Bool)? = nil,
        againstWork: Bool? = nil
    ) {
        self.againstModels = againstModels
        self.referenceUnavailable = referenceUnavailable
        self.againstTLS = againstTLS
        self.againstWork = againstWork
    }

    /// Whether the check is over TLS and the other build takes `--tls` in neither command: none of it can run.
    public var againstSpeaksNoTLS: Bool {
        againstTLS.map { !$0.serve && !$0.drive } ?? false
    }

    /// Whom `subject`'s cells pair with: a model the other build lacks is first of all missing (the reference
    /// server stands in where it can; it does no work), then, over TLS, the other build's command must take
    /// `--tls`, and with work its `bench serve` must take `--work`.
    public func partner(of subject: ComparePlan.Cell.Subject) -> Partner {
        if subject == .driver {
            return againstTLS?.drive == false ? .alone("the other build's driver speaks no TLS") : .paired(.against)
        }
        if let model = subject.serverModel, !againstModels.contains(model.rawValue) {
            let unavailable = referenceUnavailable ?? (againstWork == nil ? nil : "refserver does no --work")
            return unavailable.map { .alone("not in the other build, and \($0)") } ?? .paired(.reference)
        }
        if againstTLS?.serve == false { return .alone("the other build speaks no TLS") }
        return againstWork == false ? .alone("the other build's servers take no --work") : .paired(.against)
    }
}
