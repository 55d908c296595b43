import COpenSSL

/// The certificate `bench serve --tls` makes at start when no `--cert`/`--key` is given: ECDSA P-256, as nginx and
/// h2load's peers are set up in the measurements, so a handshake costs what a modern site's does (an RSA-2048
/// signature costs about twenty times an ECDSA P-256 one). Valid for localhost, 127.0.0.1 and ::1, from a day ago for
/// a year; self-signed, which the driver accepts unless `--ca` asks for a check.
public struct SelfSignedCertificate: Sendable {
    /// PEM text of the certificate and of its private key (PKCS#8).
    public let certificatePEM: String
    public let keyPEM: String

    public init() throws {
        ERR_clear_error()
        guard let key = shim_EVP_EC_gen("P-256") else { throw TLSError.drained("cannot make a P-256 key") }
        defer { EVP_PKEY_free(key) }
        guard let certificate = X509_new() else { throw TLSError.drained("cannot make a certificate") }
        defer { X509_free(certificate) }
        var serial = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&serial, 16) == 1 else { throw TLSError.drained("cannot draw a serial number") }
        serial[0] &= 0x7f  // a positive number, as RFC 5280 asks
        let serialNumber = BN_bin2bn(serial, 16, nil)
        defer { BN_free(serialNumber) }
        let name = X509_get_subject_name(certificate)
        let signed = X509_set_version(certificate, 2) == 1  // X.509 v3, for the subjectAltName extension
            && BN_to_ASN1_INTEGER(serialNumber, X509_get_serialNumber(certificate)) != nil
            && shim_X509_set_notBefore_days(certificate, -1) == 1
            && shim_X509_set_notAfter_days(certificate, 365) == 1
            && X509_set_pubkey(certificate, key) == 1
            && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, "localhost", -1, -1, 0) == 1
            && X509_set_issuer_name(certificate, name) == 1
            && shim_X509_add_subject_alt_name(certificate, "DNS:localhost,IP:127.0.0.1,IP:::1") == 1
            && X509_sign(certificate, key, EVP_sha256()) > 0
        guard signed else { throw TLSError.drained("cannot sign the certificate") }
        certificatePEM = try Self.pem { PEM_write_bio_X509($0, certificate) }
        keyPEM = try Self.pem { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) }
    }

    /// What `write` put into a memory BIO, as text.
    private static func pem(_ write: (OpaquePointer) -> Int32) throws -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw TLSError.drained("cannot allocate a BIO") }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { throw TLSError.drained("cannot write PEM") }
        var data: UnsafeMutablePointer<CChar>?
        let length = shim_BIO_get_mem_data(bio, &data)
        guard let data, length > 0 else { throw TLSError("empty PEM") }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    }
}
