/// A TLS protocol version a run may be held to (`--tls-version`).
public enum TLSVersion: String, CaseIterable, Sendable, Codable {
    case v1_2 = "1.2"
    case v1_3 = "1.3"
}

/// What `--tls` and its options ask for, on either side: the server reads the certificate and ticket settings, the
/// driver the peer check, the server name and resumption. Plain values, so that they cross processes (as arguments to
/// prefork's workers, as JSON to the driver's worker processes) and compare equal in a configuration.
public struct TLSSettings: Sendable, Equatable, Codable {
    /// One version only; nil offers 1.2 and 1.3, as OpenSSL's defaults do.
    public var version: TLSVersion?
    /// OpenSSL's cipher list for TLS 1.2 (`SSL_CTX_set_cipher_list`) or, under `--tls-version 1.3`, its suites
    /// (`SSL_CTX_set_ciphersuites`); nil keeps the library's defaults.
    public var ciphers: String?
    /// Key exchange groups in order of preference (`X25519:P-256`); nil keeps the library's defaults.
    public var groups: String?
    /// Server: issue session tickets (and keep TLS 1.2 session IDs). Driver: every connection after a client's first
    /// offers the session of its last one.
    public var resume: Bool
    /// Server: PEM files of the certificate and its key; nil makes an ECDSA P-256 certificate at start.
    public var certificateFile: String?
    public var keyFile: String?
    /// Server: the 80 bytes of session ticket keys, shared by processes that must resume each other's sessions
    /// (prefork's workers); nil lets OpenSSL choose them.
    public var ticketKey: [UInt8]?
    /// Driver: the name sent as SNI (and checked against the certificate under `caFile`); nil sends the target's host
    /// when it is a name, nothing for an address.
    public var serverName: String?
    /// Driver: PEM file of the certificates to check the server's against; nil checks nothing, as wrk and h2load.
    public var caFile: String?

    public init(
        version: TLSVersion? = nil, ciphers: String? = nil, groups: String? = nil, resume: Bool = true,
        certificateFile: String? = nil, keyFile: String? = nil, ticketKey: [UInt8]? = nil, serverName: String? = nil,
        caFile: String? = nil
    ) {
        self.version = version
        self.ciphers = ciphers
        self.groups = groups
        self.resume = resume
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.ticketKey = ticketKey
        self.serverName = serverName
        self.caFile = caFile
    }
}
