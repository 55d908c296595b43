import Wire

/// Any protocol's server session behind TLS: the model reads and writes ciphertext as it would plaintext, and the
/// session inside sees plaintext as it would from a plain socket. Every model serves every protocol over TLS this
/// way, with the one engine, so that a difference between models over TLS is the models'.
///
/// What it adds to the session inside:
/// - the handshake comes first: nothing of the session's is read or sent before it ends; a handshake not whole within
///   the read timeout of its first byte is the model's header timeout (``isMidRequest``), as a slow request is;
/// - a response counts as handed over once the last of its ciphertext is (``advance(_:)``);
/// - the session's end is sent as close_notify, the client's close_notify is its end (echo's half-close), and a
///   stream cut inside a record is a failure (`tls_failures`), as is a handshake refused (the alert is sent first) or
///   a record that does not decrypt.
///
/// Memory: a connection holds buffers only while it has bytes in them (OpenSSL's too, under SSL_MODE_RELEASE_BUFFERS),
/// so ten thousand idle TLS connections cost little more than plaintext ones.
public final class TLSServerSession: ServerSession {
    private let inner: any ServerSession
    private let context: TLSContext
    private var connection: TLSConnection?
    /// Decrypted bytes the session inside has not taken yet (it stopped for answers it owes).
    private var plaintext = ScratchBuffer()
    private var held = 0..<0
    /// Ciphertext gathered for the socket, and the part of it not sent yet.
    private var ciphertext = ScratchBuffer()
    private var unsent = 0..<0
    private let piece = UnsafeMutablePointer<UnsafeRawBufferPointer>.allocate(capacity: 1)
    /// The session inside has heard its client's end (close_notify, or a FIN at a record's edge).
    private var innerEnded = false
    /// close_notify is owed or sent: nothing more of the session's goes out.
    private var closing = false
    private var failed = false
    private var bytesReceived = false
    /// Responses whose plaintext is encrypted and whose ciphertext is not all sent.
    private var responsesInFlight = 0
    /// Records may wait, fed but not decrypted, because the session inside stopped taking input.
    private var recordsWaiting = false
    /// The client's close_notify came in the same feed as bytes the session inside took: its end waits for the next
    /// offer (held input), so that the model first gathers what those bytes asked for, as it does between a plaintext
    /// read and the read that returns 0. Handed over at once, the end can cost answers: multiplex drops those it was
    /// never asked to gather when a half-close comes inside a request.
    private var endHeld = false

    /// Plaintext encrypted per gather at most: a large answer goes out in pieces, so that a connection never holds
    /// more than this much ciphertext at once.
    static let encryptedPerGather = 1 << 16
    /// A TLS record's largest plaintext: one read of it.
    static let recordBytes = 1 << 14

    public init(_ inner: any ServerSession, context: TLSContext) {
        self.inner = inner
        self.context = context
        // Ready for a connection as made, as the session inside is: a model may use a new session without a reset.
        connection = try? TLSConnection(context)
        failed = connection == nil
    }

    deinit {
        piece.deallocate()
    }

    public func reset() {
        inner.reset()
        connection = try? TLSConnection(context)
        plaintext.release()
        ciphertext.release()
        held = 0..<0
        unsent = 0..<0
        innerEnded = false
        closing = false
        failed = connection == nil
        bytesReceived = false
        responsesInFlight = 0
        recordsWaiting = false
        endHeld = false
    }

    private var handshakeDone: Bool { connection?.isHandshakeDone ?? false }
    private var ciphertextOwed: Bool { !unsent.isEmpty || (connection?.owedCiphertext ?? 0) > 0 }

    public var wantsInput: Bool {
        guard !failed, !closing else { return false }
        return handshakeDone ? inner.wantsInput : true
    }

    public var isFinished: Bool { (failed || closing) && !ciphertextOwed }

    public var owesNothing: Bool { !ciphertextOwed && (!handshakeDone || inner.owesNothing) }

    public var isMidRequest: Bool { handshakeDone ? inner.isMidRequest : bytesReceived }

    public var requestsBegun: Int { inner.requestsBegun }

    public var lingers: Bool { !failed && inner.lingers }

    public var hasHeldInput: Bool { !failed && (!held.isEmpty || recordsWaiting) }

    public func receive(_ bytes: UnsafeRawBufferPointer) -> SessionInput {
        var result = SessionInput(consumed: bytes.count)
        guard let connection, !failed else { return result }  // after a failure the rest is dropped
        if !bytes.isEmpty { bytesReceived = true }
        connection.feed(bytes)
        if !connection.isHandshakeDone {
            switch connection.handshake() {
            case .done:
                result.tlsHandshakes = 1
                result.tlsResumed = connection.isResumed ? 1 : 0
            case .needsInput:
                return result
            case .failed:
                fail(&result)
                return result
            }
        }
        decrypt(connection, into: &result)
        return result
    }

    /// Hands decrypted records to the session inside while it takes them.
    private func decrypt(_ connection: TLSConnection, into result: inout SessionInput) {
        recordsWaiting = false
        var taken = false
        while !innerEnded && inner.wantsInput {
            if held.isEmpty {
                if endHeld {
                    endHeld = false
                    innerEnded = true
                    return result.add(inner.receiveEnd())
                }
                let buffer = plaintext.reserve(Self.recordBytes)
                switch connection.read(into: buffer) {
                case .bytes(let count):
                    held = 0..<count
                case .needsInput:
                    plaintext.release()
                    return
                case .closed:
                    plaintext.release()
                    if taken {
                        endHeld = true
                        recordsWaiting = true
                        return
                    }
                    innerEnded = true
                    return result.add(inner.receiveEnd())
                case .failed:
                    return fail(&result)
                }
            }
            let accepted = inner.receive(UnsafeRawBufferPointer(rebasing: plaintext.bytes[held]))
            result.add(accepted)
            held = (held.lowerBound + accepted.consumed)..<held.upperBound
            if accepted.consumed == 0 { break }
            taken = true
        }
        recordsWaiting = !innerEnded && !failed
    }

    public func beginStop() {
        if handshakeDone && !failed && !closing { inner.beginStop() }
    }

    public func receiveEnd() -> SessionInput {
        var result = SessionInput()
        guard let connection, !failed, !innerEnded else { return result }
        if !connection.isHandshakeDone || connection.holdsUnreadInput {
            // A client that connects and leaves without a byte is not a TLS failure; one cut mid-handshake or
            // inside a record is.
            if bytesReceived { fail(&result) } else { failed = true }
            return result
        }
        // A FIN at a record's edge without close_notify: what was asked is answered, as most servers do (wrk and
        // many clients close this way).
        innerEnded = true
        return inner.receiveEnd()
    }

    private func fail(_ result: inout SessionInput) {
        failed = true
        result.tlsFailures += 1
        held = 0..<0
        plaintext.release()
    }

    public func gather(using random: inout WyRand) -> UnsafeBufferPointer<UnsafeRawBufferPointer> {
        guard let connection else { return UnsafeBufferPointer(start: piece, count: 0) }
        if unsent.isEmpty {
            if handshakeDone && !failed && !closing { encrypt(connection, using: &random) }
            let owed = connection.owedCiphertext
            if owed > 0 {
                let count = connection.takeCiphertext(into: ciphertext.reserve(owed))
                unsent = 0..<count
            }
        }
        guard !unsent.isEmpty else { return UnsafeBufferPointer(start: piece, count: 0) }
        piece[0] = UnsafeRawBufferPointer(rebasing: ciphertext.bytes[unsent])
        return UnsafeBufferPointer(start: piece, count: 1)
    }

    /// Encrypts what the session inside owes, up to ``encryptedPerGather`` bytes, and owes close_notify once it is
    /// finished.
    private func encrypt(_ connection: TLSConnection, using random: inout WyRand) {
        var budget = Self.encryptedPerGather
        while budget > 0 {
            let pieces = inner.gather(using: &random)
            guard !pieces.isEmpty else { break }
            var taken = 0
            for piece in pieces where budget > 0 {
                let part = UnsafeRawBufferPointer(rebasing: piece[..<min(piece.count, budget)])
                if connection.write(part) != nil {
                    failed = true
                    return
                }
                taken += part.count
                budget -= part.count
                if part.count < piece.count { break }
            }
            responsesInFlight += inner.advance(taken)
        }
        if inner.isFinished {
            closing = true
            connection.close()
        }
    }

    public func advance(_ byteCount: Int) -> Int {
        unsent = (unsent.lowerBound + byteCount)..<unsent.upperBound
        guard unsent.isEmpty, connection?.owedCiphertext ?? 0 == 0 else { return 0 }
        ciphertext.release()
        defer { responsesInFlight = 0 }
        return responsesInFlight
    }
}

/// A buffer allocated while it holds bytes and freed once they are used: a TLS connection's plaintext and ciphertext
/// in flight, which most connections most of the time do not have. Noncopyable, so that it frees itself with the
/// session that owns it: a session ended with bytes held (a client gone mid-answer) leaked them (AddressSanitizer,
/// docs/sanitizers.md).
struct ScratchBuffer: ~Copyable {
    private(set) var bytes = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    /// At least `count` bytes (what was there is not kept).
    mutating func reserve(_ count: Int) -> UnsafeMutableRawBufferPointer {
        if bytes.count < count {
            release()
            bytes = .allocate(byteCount: count, alignment: 16)
        }
        return bytes
    }

    mutating func release() {
        bytes.deallocate()
        bytes = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    }

    deinit {
        bytes.deallocate()
    }
}
