import ArgumentParser
import TLS

/// The TLS options `bench serve` and the driver's commands share: one spelling on both sides.
struct TLSCommonOptions: ParsableArguments {
    @Flag(help: "Speak TLS (OpenSSL, docs/tls.md) on every connection; every protocol runs over it unchanged.")
    var tls = false

    @Option(name: .customLong("tls-version"), help: "Hold TLS to one version: 1.2 or 1.3 (default: either).")
    var version: TLSVersion?

    @Option(
        help: ArgumentHelp(
            "OpenSSL cipher list: TLS 1.3 suites (TLS_AES_128_GCM_SHA256) or TLS 1.2 ciphers "
                + "(ECDHE-ECDSA-AES128-GCM-SHA256), colon-separated."))
    var ciphers: String?

    @Option(help: "Key exchange groups in order of preference, colon-separated (X25519:P-256).")
    var groups: String?

    func validate() throws {
        guard tls || (version == nil && ciphers == nil && groups == nil) else {
            throw ValidationError("--tls-version, --ciphers and --groups apply under --tls: add --tls.")
        }
    }

    /// The settings these options ask for, nil without --tls.
    var settings: TLSSettings? {
        tls ? TLSSettings(version: version, ciphers: ciphers, groups: groups) : nil
    }
}

/// `bench serve`'s own TLS options: the certificate and resumption.
struct ServeTLSOptions: ParsableArguments {
    @OptionGroup var common: TLSCommonOptions

    @Option(name: .customLong("cert"), help: "PEM certificate (chain) to serve under --tls; default: an ECDSA P-256 one made at start.")
    var certificateFile: String?

    @Option(name: .customLong("key"), help: "PEM private key of --cert.")
    var keyFile: String?

    @Flag(name: .customLong("no-resume"), help: "No session tickets and no TLS 1.2 session IDs: every handshake is full.")
    var noResume = false

    /// A prefork worker's session ticket keys, in hex, shared with the other workers so that they resume each
    /// other's sessions.
    @Option(name: .customLong("tls-ticket-key"), help: .private)
    var ticketKey: String?

    func validate() throws {
        let given = certificateFile != nil || keyFile != nil || noResume || ticketKey != nil
        guard common.tls || !given else {
            throw ValidationError("--cert, --key and --no-resume apply under --tls: add --tls.")
        }
        guard (certificateFile == nil) == (keyFile == nil) else {
            throw ValidationError("--cert and --key go together: give both PEM files, or neither for a certificate made at start.")
        }
        if let ticketKey, TLSSettings.bytes(hex: ticketKey)?.count != 80 {
            throw ValidationError("--tls-ticket-key is 80 bytes in hex.")
        }
    }

    var settings: TLSSettings? {
        guard var settings = common.settings else { return nil }
        settings.certificateFile = certificateFile
        settings.keyFile = keyFile
        settings.resume = !noResume
        settings.ticketKey = ticketKey.flatMap { TLSSettings.bytes(hex: $0) }
        return settings
    }
}

/// The driver's own TLS options (drive, compare, knee, check): resumption, the name sent, the certificate check.
struct DriveTLSOptions: ParsableArguments {
    @OptionGroup var common: TLSCommonOptions

    @Flag(
        name: .customLong("tls-resume"),
        help: "Every connection after a client's first resumes its last session (tickets or TLS 1.2 session IDs).")
    var resume = false

    @Option(help: "Server name sent in the ClientHello (SNI); default: the target's host when it is a name.")
    var sni: String?

    @Option(
        name: .customLong("ca"),
        help: ArgumentHelp(
            "PEM certificates to check the server's against (and its name, with --sni); without it nothing is "
                + "checked, as wrk and h2load."))
    var caFile: String?

    /// The `bench serve` arguments for the servers a comparison starts: the same version, ciphers and groups.
    var serverArguments: [String] { common.settings?.serveArguments ?? [] }

    /// The settings asked for, nil for plaintext; `secure`: an https:// target asks for TLS without --tls.
    func settings(secure: Bool) throws -> TLSSettings? {
        guard common.tls || secure else {
            guard !resume && sni == nil && caFile == nil else {
                throw ValidationError("--tls-resume, --sni and --ca apply under --tls (or an https:// target): add --tls.")
            }
            return nil
        }
        return TLSSettings(
            version: common.version, ciphers: common.ciphers, groups: common.groups, resume: resume, serverName: sni,
            caFile: caFile)
    }
}

extension TLSVersion: ExpressibleByArgument {}
