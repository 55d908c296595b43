import COpenSSL

/// One TLS connection driven without its socket: ciphertext read from the socket is ``feed(_:)``, ciphertext to send
/// is taken with ``takeCiphertext(into:)``, and plaintext goes through ``read(into:)`` and ``write(_:)``, between two
/// memory BIOs. Whoever owns the socket (a model's loop or thread, the driver's worker) decides when to read and
/// write, so TLS adds a layer to every model and protocol without changing how any of them waits.
///
/// Belongs to one thread at a time, as its socket does.
public final class TLSConnection {
    private let ssl: OpaquePointer
    /// What the peer sent, not yet decrypted; and what this side owes, encrypted, not yet sent.
    private let incoming: OpaquePointer
    private let outgoing: OpaquePointer
    private var shutdownSent = false

    /// What a step of the handshake came to.
    public enum Progress: Equatable {
        case done
        /// More of the peer's bytes are needed (and whatever ciphertext is owed must be sent first).
        case needsInput
        case failed(String)
    }

    /// What a read of plaintext came to.
    public enum ReadResult: Equatable {
        case bytes(Int)
        case needsInput
        /// The peer sent close_notify: its side of the stream is over.
        case closed
        case failed(String)
    }

    /// A connection from `context`; a client's names `serverName` in its ClientHello (SNI) and, where the context
    /// checks certificates, checks it against the server's.
    public init(_ context: TLSContext, serverName: String? = nil) throws {
        ERR_clear_error()
        guard let ssl = SSL_new(context.context) else { throw TLSError.drained("cannot make a TLS connection") }
        guard let incoming = BIO_new(BIO_s_mem()), let outgoing = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw TLSError.drained("cannot allocate a BIO")
        }
        self.ssl = ssl
        self.incoming = incoming
        self.outgoing = outgoing
        SSL_set_bio(ssl, incoming, outgoing)  // the SSL owns both from here
        if context.isServer {
            SSL_set_accept_state(ssl)
        } else {
            SSL_set_connect_state(ssl)
            if let serverName {
                _ = shim_SSL_set_tlsext_host_name(ssl, serverName)
                _ = SSL_set1_host(ssl, serverName)
            }
        }
    }

    deinit {
        SSL_free(ssl)
    }

    // MARK: Ciphertext

    /// Hands the peer's bytes to TLS; they are decrypted by the next ``handshake()`` or ``read(into:)``.
    public func feed(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        var offset = 0
        while offset < bytes.count {  // a memory BIO takes everything, in pieces of at most Int32.max
            let written = BIO_write(incoming, base + offset, Int32(min(bytes.count - offset, Int(Int32.max))))
            guard written > 0 else { return }
            offset += Int(written)
        }
    }

    /// The peer's bytes fed and not yet read as plaintext: in the memory BIO, or in OpenSSL's own buffer, where a
    /// read that needs the rest of a record moves the part it has (so the BIO alone would look empty). At the end of
    /// the stream, after a read that needed input, it means the stream was cut inside a record.
    public var holdsUnreadInput: Bool { BIO_ctrl_pending(incoming) > 0 || SSL_has_pending(ssl) == 1 }

    /// Encrypted bytes owed to the peer.
    public var owedCiphertext: Int { Int(BIO_ctrl_pending(outgoing)) }

    /// Calls `body` with the owed ciphertext where it lies (valid only inside `body`), so that a caller can send it
    /// without a copy and ``discardCiphertext(_:)`` what the socket took.
    public func withOwedCiphertext<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        var data: UnsafeMutablePointer<CChar>?
        let count = shim_BIO_get_mem_data(outgoing, &data)
        return body(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : max(0, count)))
    }

    /// Drops the first `count` owed bytes: sent.
    public func discardCiphertext(_ count: Int) {
        // A memory BIO gives its bytes up only by copying them out; a few KiB at a time on the stack.
        withUnsafeTemporaryAllocation(byteCount: 4096, alignment: 16) { scratch in
            var left = count
            while left > 0 {
                let taken = BIO_read(outgoing, scratch.baseAddress, Int32(min(left, scratch.count)))
                guard taken > 0 else { return }
                left -= Int(taken)
            }
        }
    }

    /// Moves owed ciphertext into `buffer`; returns how many bytes.
    public func takeCiphertext(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard !buffer.isEmpty else { return 0 }
        let count = BIO_read(outgoing, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        return max(0, Int(count))
    }

    // MARK: The handshake

    public var isHandshakeDone: Bool { SSL_is_init_finished(ssl) == 1 }

    /// Takes the handshake as far as the bytes fed allow; the messages it owes the peer are then ciphertext to send.
    public func handshake() -> Progress {
        ERR_clear_error()
        let outcome = SSL_do_handshake(ssl)
        if outcome == 1 { return .done }
        switch SSL_get_error(ssl, outcome) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .needsInput
        default: return .failed(failure("handshake"))
        }
    }

    // MARK: Plaintext

    /// Decrypts into `buffer` what the bytes fed hold.
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> ReadResult {
        ERR_clear_error()
        let count = SSL_read(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        if count > 0 { return .bytes(Int(count)) }
        switch SSL_get_error(ssl, count) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .needsInput
        case SSL_ERROR_ZERO_RETURN: return .closed
        default: return .failed(failure("record"))
        }
    }

    /// Encrypts all of `bytes` into owed ciphertext (a memory BIO takes everything); nil, or why it could not.
    public func write(_ bytes: UnsafeRawBufferPointer) -> String? {
        guard let base = bytes.baseAddress else { return nil }
        var offset = 0
        while offset < bytes.count {
            ERR_clear_error()
            let written = SSL_write(ssl, base + offset, Int32(min(bytes.count - offset, Int(Int32.max))))
            guard written > 0 else { return failure("write") }
            offset += Int(written)
        }
        return nil
    }

    /// Owes the peer a close_notify (once): the end of this side's stream, as a FIN is of TCP's.
    public func close() {
        guard !shutdownSent else { return }
        shutdownSent = true
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    /// Whether the peer sent its close_notify.
    public var peerClosed: Bool { SSL_get_shutdown(ssl) & SSL_RECEIVED_SHUTDOWN != 0 }

    private func failure(_ stage: String) -> String {
        let reasons = TLSError.drainReasons()
        return reasons.isEmpty ? "\(stage) failed" : reasons.joined(separator: "; ")
    }

    // MARK: What was agreed

    /// The handshake resumed an earlier session instead of a full one.
    public var isResumed: Bool { SSL_session_reused(ssl) == 1 }
    /// "TLSv1.3"
    public var version: String { String(cString: SSL_get_version(ssl)) }
    /// "TLS_AES_256_GCM_SHA384"
    public var cipher: String { SSL_get_current_cipher(ssl).map { String(cString: SSL_CIPHER_get_name($0)) } ?? "none" }
    /// "x25519"
    public var group: String {
        let id = Int32(truncatingIfNeeded: shim_SSL_get_negotiated_group(ssl))
        guard id != 0, let name = SSL_group_to_name(ssl, id) else { return "none" }
        return String(cString: name)
    }
    /// The protocol ALPN agreed on, nil where none was.
    public var alpn: String? {
        var name: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &name, &length)
        guard let name, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: name, count: Int(length)), as: UTF8.self)
    }
    /// The key of the peer's certificate ("EC P-256"); "none" where it sent none (a resumed session).
    public var peerKeyType: String {
        guard let certificate = SSL_get0_peer_certificate(ssl) else { return "none" }
        return TLSContext.keyDescription(X509_get0_pubkey(certificate))
    }

    // MARK: Resumption (clients)

    /// The session to resume with on the next connection, once the server has sent one that can be (TLS 1.3 sends
    /// its tickets after the handshake); nil before.
    ///
    /// A copy: OpenSSL marks a session unresumable when a connection that used it is freed without close_notify
    /// sent (a client that just closes, as the driver's do once the server has ended), and the copy keeps it whole.
    public var session: TLSSession? {
        guard let session = SSL_get_session(ssl), SSL_SESSION_is_resumable(session) == 1,
            let copy = SSL_SESSION_dup(session)
        else { return nil }
        return TLSSession(copy)
    }

    /// Offers `session` in the ClientHello (before the handshake starts).
    public func resume(_ session: TLSSession) {
        _ = SSL_set_session(ssl, session.pointer)
    }
}

/// A client's session, kept to be resumed by its next connection.
public final class TLSSession: @unchecked Sendable {
    // @unchecked: an SSL_SESSION is reference-counted by OpenSSL with atomic counts; the driver uses each on one
    // thread anyway.
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        SSL_SESSION_free(pointer)
    }
}
