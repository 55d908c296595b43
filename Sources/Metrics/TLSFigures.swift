/// What TLS cost and agreed on in a run (`--tls`): handshakes timed apart from the TCP connect before them, counted
/// full and resumed, and what was negotiated, so that a run over TLS says which TLS it measured.
public struct TLSFigures: Codable, Sendable, Equatable {
    /// The TCP connection established to the handshake finished (the client's view: its ClientHello out to the
    /// server's Finished in).
    public var handshakeLatency = LatencyHistogram()
    public var fullHandshakes = 0
    public var resumedHandshakes = 0
    /// Finished handshakes that had offered a session to resume (`--tls-resume`); those the server did not take were
    /// full.
    public var resumptionsOffered = 0
    /// What the first handshake agreed on (one server, one setting: every handshake of a run agrees the same):
    /// "TLSv1.3", "TLS_AES_256_GCM_SHA384", "x25519", "EC P-256"; empty before any.
    public var version = ""
    public var cipher = ""
    public var group = ""
    public var keyType = ""
    /// Why the last handshake that failed did, in OpenSSL's words (an alert's name); nil while none failed.
    public var lastFailure: String?

    public init() {}

    /// Notes what a handshake agreed on, the first time.
    public mutating func agreed(version: String, cipher: String, group: String, keyType: String) {
        guard self.version.isEmpty else { return }
        self.version = version
        self.cipher = cipher
        self.group = group
        self.keyType = keyType
    }

    public mutating func merge(_ other: TLSFigures) {
        handshakeLatency.merge(other.handshakeLatency)
        fullHandshakes += other.fullHandshakes
        resumedHandshakes += other.resumedHandshakes
        resumptionsOffered += other.resumptionsOffered
        if version.isEmpty { agreed(version: other.version, cipher: other.cipher, group: other.group, keyType: other.keyType) }
        lastFailure = other.lastFailure ?? lastFailure
    }
}
