#if canImport(Glibc)
import Glibc
#endif
import Metrics
import SystemCalls
import Wire

/// Bytes on an established connection: request headers out (pipelined, paced by think time or the open-loop
/// schedule), responses in and checked by the slot's ``ClientSession``.
extension LoadWorker {
    // MARK: Sending

    /// Writes every request that is due and allowed by the pipeline depth; arms a timer for the next one.
    /// Returns false when the connection failed (and was replaced) on the way.
    mutating func sendDue(_ slot: Int, now: UInt64) -> Bool {
        if traits.streamsExchange {
            return slots[slot].sent == 0 ? beginExchange(slot, now: now) : true
        }
        let depth = settings.pipeline
        var wrote = false
        let sentAt = MonotonicClock.nanos()  // fresh, for the reason given where connections start
        while slots[slot].session.canSend && slots[slot].sent < slots[slot].requests {
            var intended = now
            if settings.isOpenLoop {
                let due = slots[slot].nextIntendedNanos
                guard due <= now else {
                    arm(slot, at: due)
                    break
                }
                intended = takeIntended(slot, now: now)
            } else if slots[slot].nextSendNanos > now {
                arm(slot, at: slots[slot].nextSendNanos)
                break
            }
            if slots[slot].outStart > 0 { compactOutput(slot) }
            let (size, share) = drawSize()
            let region = slot * depth * requestCapacity
            let room = UnsafeMutableRawBufferPointer(
                rebasing: output[(region + slots[slot].outEnd)..<(region + depth * requestCapacity)])
            let last = slots[slot].sent + 1 == slots[slot].requests
            slots[slot].outEnd += slots[slot].session.writeRequest(size, last: last, into: room)
            let ring = slot * depth + slots[slot].session.lastRequest
            sentNanos[ring] = sentAt
            if !sentShare.isEmpty { sentShare[ring] = UInt8(share) }
            if settings.isOpenLoop { intendedNanos[ring] = intended }
            slots[slot].sent += 1
            wrote = true
        }
        guard wrote else { return true }
        slots[slot].deadlineNanos = now + timeoutNanos
        return flush(slot, now: now)
    }

    /// send()s the pending requests; after the last request of the connection, half-closes (shutdown write) so the
    /// server knows to answer what it has and close (HTTP: the last request asked it to close instead, as a client
    /// of HTTP does). Returns false when the connection failed.
    mutating func flush(_ slot: Int, now: UInt64) -> Bool {
        let region = slot * settings.pipeline * requestCapacity
        while slots[slot].outStart < slots[slot].outEnd {
            let pending = slots[slot].outEnd - slots[slot].outStart
            guard let written = sendOnce(slot, output.baseAddress! + region + slots[slot].outStart, count: pending,
                now: now)
            else { return false }
            if written == 0 { return true }
            slots[slot].outStart += written
        }
        slots[slot].outStart = 0
        slots[slot].outEnd = 0
        endRequests(slot)
        return true
    }

    /// Once the connection's last request is out: the half-close (shutdown write) that tells the server to answer
    /// what it has and close; HTTP's last request asked it to close instead.
    mutating func endRequests(_ slot: Int) {
        guard slots[slot].sent == slots[slot].requests && !slots[slot].hasOutput && !slots[slot].halfClosed else {
            return
        }
        slots[slot].halfClosed = true
        guard traits.halfClosesAfterLastRequest else { return }
        if let tls = slots[slot].tls {
            // TLS's own half-close: a TCP one could cut ciphertext still owed, and a server over TLS hears the end
            // of the client's stream from close_notify.
            tls.close()
            _ = sendCiphertext(slot, now: MonotonicClock.nanos())
        } else {
            shutdown(slots[slot].fd, Int32(SHUT_WR))
        }
    }

    /// One send() of up to `count` bytes on the slot's socket: how many it took, 0 when its buffer is full (the next
    /// EPOLLOUT edge resumes, writability being watched again), or nil when the connection failed (and was replaced).
    mutating func sendOnce(_ slot: Int, _ bytes: UnsafeRawPointer, count: Int, now: UInt64) -> Int? {
        // Bytes sent count the conversation's, as wrk counts them: over TLS, the plaintext.
        let written = slots[slot].tls == nil
            ? sendRaw(slot, bytes, count: count, now: now) : sendEncrypted(slot, bytes, count: count, now: now)
        if let written, written > 0, inWindow(now) { record(slot) { $0.counters.bytesSent += written } }
        return written
    }

    /// One send() of bytes as they are, with ``sendOnce(_:_:count:now:)``'s answers.
    mutating func sendRaw(_ slot: Int, _ bytes: UnsafeRawPointer, count: Int, now: UInt64) -> Int? {
        while true {
            // MSG_NOSIGNAL: a server that reset the connection must give EPIPE, not kill the driver.
            let written = send(slots[slot].fd, bytes, count, Int32(MSG_NOSIGNAL))
            if written > 0 { return written }
            if errno == EAGAIN {
                _ = epoll.modify(slots[slot].fd, events: Self.readInterest | Epoll.writable, data: UInt64(slot))
                return 0
            }
            if errno != EINTR {
                fail(slot, ConnectCall.transferFailure(errno), now: now)
                return nil
            }
        }
    }

    /// Moves unsent request bytes to the start of the slot's region (rare: only after a partial send()).
    private mutating func compactOutput(_ slot: Int) {
        let region = output.baseAddress! + slot * settings.pipeline * requestCapacity
        let pending = slots[slot].outEnd - slots[slot].outStart
        (region).copyMemory(from: region + slots[slot].outStart, byteCount: pending)
        slots[slot].outStart = 0
        slots[slot].outEnd = pending
    }

    /// A request size, and the part of the size mix it comes from (0 without a mix).
    mutating func drawSize() -> (size: UInt32, share: Int) {
        var (low, high, share) = (settings.sizeMin, settings.sizeMax, 0)
        if !shareBounds.isEmpty {
            let draw = Double(random.next() >> 11) / Double(1 << 53)
            share = shareBounds.firstIndex { draw < $0 } ?? shareBounds.count - 1
            (low, high) = (settings.sizeMix[share].min, settings.sizeMix[share].max)
        }
        let span = UInt64(high - low) + 1
        return (span == 1 ? low : low + UInt32(random.next() % span), share)
    }

    /// Think time for the next request: uniform in think ± jitter.
    mutating func drawThinkNanos(_ slot: Int) -> UInt64 {
        let jitter = UInt64(slots[slot].jitterMicros)
        let base = UInt64(slots[slot].thinkMicros) - jitter
        return (base + (jitter == 0 ? 0 : random.next() % (2 * jitter + 1))) * 1_000
    }

    // MARK: Receiving

    /// Reads until the socket is drained (edge-triggered epoll needs that), feeding every chunk to the session.
    /// - Parameter hangUp: the event said the peer closed; keep reading to the end of stream.
    mutating func readAvailable(_ slot: Int, hangUp: Bool, now: UInt64) {
        if slots[slot].tls != nil { return readEncrypted(slot, hangUp: hangUp, now: now) }
        let fd = slots[slot].fd
        while true {
            let count = read(fd, input.baseAddress!, input.count)
            if count > 0 {
                guard received(slot, count: count, now: now) else { return }
                // A short read means the queue was empty: new data brings a new edge, so stop here and save
                // the read() that would only say EAGAIN (wrk does the same). Not after a hang-up: EOF is next.
                if count < input.count && !hangUp { return }
            } else if count == 0 {
                return ended(slot, now: now)
            } else if errno == EAGAIN {
                return
            } else if errno != EINTR {
                return fail(slot, ConnectCall.transferFailure(errno), now: now)
            }
        }
    }

    /// Accounts for one chunk, event by event; returns false when the connection ended (bad bytes) or was replaced.
    mutating func received(_ slot: Int, count: Int, now: UInt64) -> Bool {
        if inWindow(now) { record(slot) { $0.counters.bytesReceived += count } }
        let chunk = UnsafeRawBufferPointer(rebasing: input[0..<count])
        let depth = settings.pipeline
        var offset = 0
        var answeredAny = false
        while offset < count {
            let (end, event) = slots[slot].session.next(chunk, from: offset)
            offset = end
            switch event {
            case nil:
                continue
            case .bad, .mismatch:
                fail(slot, event!.failure!, now: now)
                return false
            case .firstByte:
                // A greeting's first byte is timed from connect(), a response's from its request.
                let start = traits.clientSends
                    ? sentNanos[slot * depth + slots[slot].session.eventRequest] : slots[slot].connectNanos
                let firstByte = Self.micros(from: start, to: now)
                if inWindow(now) {
                    let second = second(now)
                    record(slot) {
                        $0.firstByteLatency.record(micros: firstByte)
                        $0.intervals?.record(.firstByte, second: second, micros: firstByte)
                    }
                }
            case .response(let outcome):
                // A greeting is timed at the end of the stream, where it is judged whole (``ended(_:now:)``).
                guard traits.clientSends else { continue }
                answered(slot, outcome, now: now)
                answeredAny = true
            }
        }
        if traits.closesWhenAnswered && slots[slot].done == slots[slot].requests {
            completed(slot, now: now)
            return false
        }
        let closing = slots[slot].session.serverCloses
        let waiting = slots[slot].session.outstanding > 0 || slots[slot].halfClosed || closing
        slots[slot].deadlineNanos = waiting ? now + timeoutNanos : .max
        guard answeredAny && !slots[slot].halfClosed && !closing else { return true }
        slots[slot].nextSendNanos = now + drawThinkNanos(slot)
        return sendDue(slot, now: now)
    }
}
