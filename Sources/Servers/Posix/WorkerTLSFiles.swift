import TLS

#if canImport(Glibc)
import Glibc
#endif

/// What a prefork server's workers need to be one TLS server rather than several: the same certificate (one made at
/// start is written to files they read) and the same session ticket keys (a client resumes on whichever worker
/// accepts it next). The files live in a private temporary folder only until every worker has said it is listening,
/// by which time each has read them.
struct WorkerTLSFiles {
    /// The settings to hand the workers, as `bench serve` arguments.
    let settings: TLSSettings
    private let folder: String?

    init(_ settings: TLSSettings) throws {
        var shared = settings
        if shared.resume && shared.ticketKey == nil {
            do { shared.ticketKey = try TLSContext.makeTicketKey() } catch { throw ServerStartError("--tls: \(error)") }
        }
        guard shared.certificateFile == nil else {
            self.settings = shared
            folder = nil
            return
        }
        let certificate: SelfSignedCertificate
        do { certificate = try SelfSignedCertificate() } catch { throw ServerStartError("--tls: \(error)") }
        var template = Array("/tmp/bench-tls-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw ServerStartError("cannot make a folder for the certificate", errno: errno) }
        let folder = String(cString: made)
        self.folder = folder
        shared.certificateFile = folder + "/cert.pem"
        shared.keyFile = folder + "/key.pem"
        self.settings = shared
        do {
            try Self.write(certificate.certificatePEM, to: shared.certificateFile!)
            try Self.write(certificate.keyPEM, to: shared.keyFile!)
        } catch {
            remove()
            throw error
        }
    }

    /// Removes the files (once the workers have read them).
    func remove() {
        guard let folder else { return }
        if let file = settings.certificateFile { unlink(file) }
        if let file = settings.keyFile { unlink(file) }
        rmdir(folder)
    }

    /// Writes `text` to a new file only this user can read (it holds a private key).
    private static func write(_ text: String, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ServerStartError("cannot write \(path)", errno: errno) }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        guard Glibc.write(descriptor, bytes, bytes.count) == bytes.count else {
            throw ServerStartError("cannot write \(path)", errno: errno)
        }
    }
}
