#if canImport(Glibc)
import Glibc
#endif
import Metrics
import SystemCalls
import TLS

/// `--tls`: a connection's TLS between its socket and its session, through the engine's memory BIOs. The handshake
/// is timed apart from the TCP connect before it and counted full or resumed; then every byte the session writes is
/// encrypted on its way out and every byte read decrypted before the session sees it, so that every protocol runs
/// over TLS unchanged.
extension LoadWorker {
    // MARK: The handshake

    /// The TCP connection is up: the ClientHello goes out, offering the client's last session under `--tls-resume`.
    mutating func secure(_ slot: Int, context: TLSContext, now: UInt64) {
        guard let tls = try? TLSConnection(context, serverName: settings.tls?.serverName) else {
            return fail(slot, .localResource, now: now)
        }
        if let session = slots[slot].tlsSession { tls.resume(session) }
        slots[slot].tls = tls
        slots[slot].handshakeStartNanos = MonotonicClock.nanos()
        slots[slot].deadlineNanos = now + timeoutNanos
        // Writability is news again only once a send finds the buffer full (sendRaw watches for it then).
        _ = epoll.modify(slots[slot].fd, events: Self.readInterest, data: UInt64(slot))
        handshakeStep(slot, now: now)
    }

    /// An event during the handshake: owed ciphertext out, the server's flight in, the handshake on.
    mutating func continueHandshake(_ slot: Int, events: UInt32, now: UInt64) {
        guard let tls = slots[slot].tls else { return }
        if events & Epoll.writable != 0 { guard sendCiphertext(slot, now: now) else { return } }
        reading: while true {
            switch readCiphertext(slots[slot].fd, into: tls) {
            case .fed(let count):
                if count < ciphertextInput.count { break reading }  // drained for now: the next bytes bring a new edge
            case .drained:
                break reading
            case .end:
                return handshakeFailed(slot, "the server closed the connection during the handshake", now: now)
            case .failed(let error):
                return fail(slot, ConnectCall.transferFailure(error), now: now)
            }
        }
        handshakeStep(slot, now: now)
    }

    private mutating func handshakeStep(_ slot: Int, now: UInt64) {
        guard let tls = slots[slot].tls else { return }
        switch tls.handshake() {
        case .needsInput:
            _ = sendCiphertext(slot, now: now)
        case .failed(let reason):
            handshakeFailed(slot, reason, now: now)
        case .done:
            let finished = MonotonicClock.nanos()
            if inWindow(now) {
                let micros = Self.micros(from: slots[slot].handshakeStartNanos, to: finished)
                let resumed = tls.isResumed
                // Counted with the verdict, not with the ClientHello, so that a handshake cut off (a failure, the
                // window's end) is not taken for a session refused.
                let offered = slots[slot].tlsSession != nil
                record(slot) { metrics in
                    metrics.tls?.handshakeLatency.record(micros: micros)
                    if resumed { metrics.tls?.resumedHandshakes += 1 } else { metrics.tls?.fullHandshakes += 1 }
                    if offered { metrics.tls?.resumptionsOffered += 1 }
                }
            }
            if metrics.tls?.version.isEmpty == true && !tls.isResumed {
                metrics.tls?.agreed(version: tls.version, cipher: tls.cipher, group: tls.group, keyType: tls.peerKeyType)
            }
            // The client's Finished goes out with its first request, in one segment: sent alone, it would hold the
            // request behind Nagle's algorithm until the server's delayed ACK, 40 ms later.
            opened(slot, now: now)
            guard slots[slot].phase == .open && slots[slot].tls === tls, sendCiphertext(slot, now: now) else { return }
            // Bytes that came with the server's last flight were fed already, and bring no new edge.
            _ = decryptAvailable(slot, now: now)
        }
    }

    private mutating func handshakeFailed(_ slot: Int, _ reason: String, now: UInt64) {
        if inWindow(now) { metrics.tls?.lastFailure = reason }
        fail(slot, .tlsHandshake, now: now)
    }

    // MARK: Records

    /// Sends the ciphertext owed while the socket takes it; false when the connection failed (and was replaced).
    /// A full socket buffer leaves the rest owed, writability watched.
    mutating func sendCiphertext(_ slot: Int, now: UInt64) -> Bool {
        guard let tls = slots[slot].tls else { return true }
        while tls.owedCiphertext > 0 {
            let sent = tls.withOwedCiphertext { sendRaw(slot, $0.baseAddress!, count: $0.count, now: now) }
            guard let sent else { return false }
            if sent == 0 { return true }
            tls.discardCiphertext(sent)
        }
        return true
    }

    /// ``sendOnce(_:_:count:now:)`` over TLS: up to a record of plaintext encrypted and sent with what was owed
    /// before (one segment for a handshake's last message and the first request); 0 while a record's worth waits for
    /// room, so that a connection never holds much more than that.
    mutating func sendEncrypted(_ slot: Int, _ bytes: UnsafeRawPointer, count: Int, now: UInt64) -> Int? {
        guard let tls = slots[slot].tls else { return nil }
        if tls.owedCiphertext >= Self.recordBytes {
            guard sendCiphertext(slot, now: now) else { return nil }
            guard tls.owedCiphertext == 0 else { return 0 }
        }
        let part = min(count, Self.recordBytes)
        if let reason = tls.write(UnsafeRawBufferPointer(start: bytes, count: part)) {
            if inWindow(now) { metrics.tls?.lastFailure = reason }
            fail(slot, .tlsRecord, now: now)
            return nil
        }
        return sendCiphertext(slot, now: now) ? part : nil
    }

    /// ``readAvailable(_:hangUp:now:)`` over TLS: ciphertext in until the socket is drained, each chunk decrypted
    /// and handed on as the plaintext path hands on what it reads.
    mutating func readEncrypted(_ slot: Int, hangUp: Bool, now: UInt64) {
        guard let tls = slots[slot].tls else { return }
        while true {
            switch readCiphertext(slots[slot].fd, into: tls) {
            case .fed(let count):
                guard decryptAvailable(slot, now: now) else { return }
                if count < ciphertextInput.count && !hangUp { return }
            case .drained:
                return
            case .end:
                // The end without close_notify: whole at a record's edge (as most clients and servers accept), cut
                // inside one.
                guard !tls.holdsUnreadInput else { return fail(slot, .tlsRecord, now: now) }
                return ended(slot, now: now)
            case .failed(let error):
                return fail(slot, ConnectCall.transferFailure(error), now: now)
            }
        }
    }

    /// What one read of a TLS connection's socket came to.
    private enum CiphertextRead {
        /// This many bytes, handed to TLS.
        case fed(Int)
        /// Nothing more for now (EAGAIN).
        case drained
        /// The server's end of the stream.
        case end
        case failed(Int32)
    }

    /// Reads the next ciphertext the socket holds into TLS.
    private func readCiphertext(_ fd: Int32, into tls: TLSConnection) -> CiphertextRead {
        while true {
            let count = read(fd, ciphertextInput.baseAddress!, ciphertextInput.count)
            if count > 0 {
                tls.feed(UnsafeRawBufferPointer(rebasing: ciphertextInput[0..<count]))
                return .fed(count)
            }
            if count == 0 { return .end }
            if errno == EAGAIN { return .drained }
            if errno != EINTR { return .failed(errno) }
        }
    }

    /// Decrypts what was fed and hands it to the session; false when the connection ended (or failed) on the way.
    mutating func decryptAvailable(_ slot: Int, now: UInt64) -> Bool {
        guard let tls = slots[slot].tls else { return false }
        while true {
            switch tls.read(into: input) {
            case .bytes(let count):
                guard received(slot, count: count, now: now), slots[slot].tls === tls else { return false }
            case .needsInput:
                // A record may have asked for an answer (a key update).
                return sendCiphertext(slot, now: now)
            case .closed:
                ended(slot, now: now)
                return false
            case .failed(let reason):
                if inWindow(now) { metrics.tls?.lastFailure = reason }
                fail(slot, .tlsRecord, now: now)
                return false
            }
        }
    }

    /// A TLS record's largest plaintext: what one write encrypts at most.
    static let recordBytes = 1 << 14
}
