import COpenSSL

/// The settings every connection of one side shares, an OpenSSL SSL_CTX: made once per server (or driver process),
/// used by every thread (OpenSSL's SSL_CTX is safe to share once set up), and each ``TLSConnection`` is made from it.
public final class TLSContext: @unchecked Sendable {
    // @unchecked: the SSL_CTX is only configured in init; afterwards OpenSSL locks what connections share (the
    // session cache, the ticket keys) itself.
    let context: OpaquePointer
    /// The ALPN names offered or selected from: the list's length in a byte, then the list in the wire's format (a
    /// length byte before each name). It outlives every connection, as the server's select callback reads it.
    private let alpnList: UnsafeMutableBufferPointer<UInt8>
    public let isServer: Bool
    /// The certificate's key, as ``TLSConnection/peerKeyType`` names it: "EC P-256", "RSA 2048" (servers only).
    public let keyType: String?

    /// The library every TLS connection here goes through, as OpenSSL names itself ("OpenSSL 3.0.22 ...").
    public static var library: String { String(cString: OpenSSL_version(OPENSSL_VERSION)) }

    /// 80 random bytes of session ticket keys (``TLSSettings/ticketKey``), for servers that must share them.
    public static func makeTicketKey() throws -> [UInt8] {
        var key = [UInt8](repeating: 0, count: 80)
        guard RAND_bytes(&key, 80) == 1 else { throw TLSError.drained("cannot draw ticket keys") }
        return key
    }

    /// A server's context; `alpn` names the protocols it agrees to when a client offers them (`http/1.1` for http).
    public static func server(_ settings: TLSSettings, alpn: [String] = []) throws -> TLSContext {
        try TLSContext(server: true, settings, alpn: alpn)
    }

    /// A client's context; `alpn` names the protocols it offers.
    public static func client(_ settings: TLSSettings, alpn: [String] = []) throws -> TLSContext {
        try TLSContext(server: false, settings, alpn: alpn)
    }

    private init(server: Bool, _ settings: TLSSettings, alpn: [String]) throws {
        ERR_clear_error()
        guard let context = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()) else {
            throw TLSError.drained("cannot make a TLS context")
        }
        self.context = context
        isServer = server
        let wire = alpn.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
        guard wire.count < 256 else { throw TLSError("ALPN names \(alpn) are too long") }
        alpnList = .allocate(capacity: wire.count + 1)
        _ = alpnList.initialize(from: [UInt8(wire.count)] + wire)
        do {
            try Self.configureCommon(context, settings)
            if server {
                keyType = try Self.configureServer(context, settings)
                if !wire.isEmpty { SSL_CTX_set_alpn_select_cb(context, Self.selectProtocol, alpnList.baseAddress) }
            } else {
                keyType = nil
                try Self.configureClient(context, settings)
                if !wire.isEmpty && SSL_CTX_set_alpn_protos(context, alpnList.baseAddress! + 1, UInt32(wire.count)) != 0 {
                    throw TLSError.drained("cannot offer ALPN \(alpn)")
                }
            }
        } catch {
            SSL_CTX_free(context)
            alpnList.deallocate()
            throw error
        }
    }

    deinit {
        SSL_CTX_free(context)
        alpnList.deallocate()
    }

    private static func configureCommon(_ context: OpaquePointer, _ settings: TLSSettings) throws {
        // TLS 1.2 at least: older versions are off in every current browser and load tool.
        let lowest = settings.version == .v1_3 ? TLS1_3_VERSION : TLS1_2_VERSION
        let highest = settings.version == .v1_2 ? TLS1_2_VERSION : TLS1_3_VERSION
        guard shim_SSL_CTX_set_min_proto_version(context, lowest) == 1,
            shim_SSL_CTX_set_max_proto_version(context, highest) == 1
        else { throw TLSError.drained("cannot set the TLS versions") }
        if let ciphers = settings.ciphers {
            // TLS 1.3's suites (TLS_AES_128_GCM_SHA256) and TLS 1.2's cipher list (ECDHE-ECDSA-AES128-GCM-SHA256)
            // are two settings in OpenSSL; a list of 1.3 names is taken as the first.
            let suites = ciphers.split(separator: ":").allSatisfy { $0.hasPrefix("TLS_") }
            let set = suites ? SSL_CTX_set_ciphersuites(context, ciphers) : SSL_CTX_set_cipher_list(context, ciphers)
            guard set == 1 else { throw TLSError.drained("--ciphers \(ciphers) names no cipher OpenSSL knows") }
        }
        if let groups = settings.groups, shim_SSL_CTX_set1_groups_list(context, groups) != 1 {
            throw TLSError.drained("--groups \(groups) names no group OpenSSL knows")
        }
        // Buffers are given back while a connection is idle, as nginx does: 10,000 connections would otherwise hold
        // about 34 KiB each.
        _ = shim_SSL_CTX_set_mode(context, Int(SSL_MODE_RELEASE_BUFFERS))
    }

    /// Loads or makes the certificate; returns its key type.
    private static func configureServer(_ context: OpaquePointer, _ settings: TLSSettings) throws -> String {
        // A renegotiation would let one client make the server do a handshake's work again and again on one
        // connection; it is refused (a no_renegotiation alert), as nginx does.
        SSL_CTX_set_options(context, shim_SSL_OP_NO_RENEGOTIATION | shim_SSL_OP_CIPHER_SERVER_PREFERENCE)
        switch (settings.certificateFile, settings.keyFile) {
        case let (certificate?, key?):
            guard SSL_CTX_use_certificate_chain_file(context, certificate) == 1 else {
                throw TLSError.drained("cannot read the certificate in \(certificate) (PEM)")
            }
            guard SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1 else {
                throw TLSError.drained("cannot read the private key in \(key) (PEM)")
            }
        case (nil, nil):
            let made = try SelfSignedCertificate()
            try use(made, in: context)
        default:
            throw TLSError("--cert and --key go together: give both PEM files, or neither for a certificate made at start")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw TLSError.drained("the private key does not match the certificate")
        }
        let sessionContext = Array("bench".utf8)
        _ = SSL_CTX_set_session_id_context(context, sessionContext, UInt32(sessionContext.count))
        if settings.resume {
            if let key = settings.ticketKey {
                var keys = key
                guard keys.count == 80, shim_SSL_CTX_set_tlsext_ticket_keys(context, &keys, 80) == 1 else {
                    throw TLSError("a session ticket key is 80 bytes")
                }
            }
        } else {
            SSL_CTX_set_options(context, shim_SSL_OP_NO_TICKET)
            _ = shim_SSL_CTX_set_session_cache_mode(context, Int(SSL_SESS_CACHE_OFF))
            _ = SSL_CTX_set_num_tickets(context, 0)
        }
        return keyDescription(SSL_CTX_get0_privatekey(context))
    }

    private static func use(_ certificate: SelfSignedCertificate, in context: OpaquePointer) throws {
        guard let bio = BIO_new(BIO_s_mem()) else { throw TLSError.drained("cannot allocate a BIO") }
        defer { BIO_free(bio) }
        let text = certificate.certificatePEM + certificate.keyPEM
        _ = text.withCString { BIO_write(bio, $0, Int32(strlen($0))) }
        guard let x509 = PEM_read_bio_X509(bio, nil, nil, nil) else { throw TLSError.drained("cannot read the certificate made") }
        defer { X509_free(x509) }
        guard let key = PEM_read_bio_PrivateKey(bio, nil, nil, nil) else { throw TLSError.drained("cannot read the key made") }
        defer { EVP_PKEY_free(key) }
        guard SSL_CTX_use_certificate(context, x509) == 1, SSL_CTX_use_PrivateKey(context, key) == 1 else {
            throw TLSError.drained("cannot use the certificate made")
        }
    }

    private static func configureClient(_ context: OpaquePointer, _ settings: TLSSettings) throws {
        if let ca = settings.caFile {
            guard SSL_CTX_load_verify_locations(context, ca, nil) == 1 else {
                throw TLSError.drained("cannot read the certificates in \(ca) (--ca, PEM)")
            }
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        } else {
            SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        }
        // The driver keeps each client's last session itself (``TLSConnection/session``), so OpenSSL stores none; but
        // with client caching off it would not take the tickets a TLS 1.3 server sends after the handshake at all.
        _ = shim_SSL_CTX_set_session_cache_mode(context, Int(SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE))
        if !settings.resume { SSL_CTX_set_options(context, shim_SSL_OP_NO_TICKET) }
    }

    /// The server picks the first of its own protocols that the client offers; none, and the handshake goes on
    /// without ALPN (a client that needs it then decides). The argument is ``alpnList``.
    private static let selectProtocol: @convention(c) (
        OpaquePointer?, UnsafeMutablePointer<UnsafePointer<UInt8>?>?, UnsafeMutablePointer<UInt8>?,
        UnsafePointer<UInt8>?, UInt32, UnsafeMutableRawPointer?
    ) -> Int32 = { _, out, outCount, offered, offeredCount, argument in
        guard let own = argument?.assumingMemoryBound(to: UInt8.self) else { return SSL_TLSEXT_ERR_NOACK }
        var chosen: UnsafeMutablePointer<UInt8>?
        var chosenCount: UInt8 = 0
        let outcome = SSL_select_next_proto(&chosen, &chosenCount, own + 1, UInt32(own[0]), offered, offeredCount)
        guard outcome == OPENSSL_NPN_NEGOTIATED, let chosen else { return SSL_TLSEXT_ERR_NOACK }
        out?.pointee = UnsafePointer(chosen)
        outCount?.pointee = chosenCount
        return SSL_TLSEXT_ERR_OK
    }

    /// "EC P-256", "RSA 2048", "ED25519": what kind of key signs the handshake.
    static func keyDescription(_ key: OpaquePointer?) -> String {
        guard let key else { return "none" }
        let type = EVP_PKEY_get0_type_name(key).map { String(cString: $0) } ?? "unknown"
        if type == "EC" {
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            if EVP_PKEY_get_group_name(key, &name, name.count, &length) == 1 {
                let group = name.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                return "EC " + (group == "prime256v1" ? "P-256" : group == "secp384r1" ? "P-384" : group)
            }
        }
        return type == "RSA" ? "RSA \(EVP_PKEY_get_bits(key))" : type
    }
}
