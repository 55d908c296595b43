#if canImport(Glibc)
import Glibc
#endif
import Metrics
import SystemCalls
import Wire

/// The life of one connection on a worker: start, handshake, requests out, responses in, verdict, replacement.
extension LoadWorker {
    // MARK: Starting

    /// The slot is free: start its next connection now, or arm a timer for when its schedule says.
    mutating func startNext(_ slot: Int, now: UInt64) {
        guard startsLeft > 0 else {
            busySlots -= 1
            return
        }
        var intended = now
        if settings.isOpenLoop {
            // Open loop: a connection starts when its first exchange is due, as a client that has something to send
            // connects. Opened early, it would sit silent on a thread of a blocking server while the requests due on
            // connections behind it wait in the accept queue: the driver's order, not the server's, measured.
            guard slots[slot].nextIntendedNanos <= now else { return arm(slot, at: slots[slot].nextIntendedNanos) }
            // Greeting or echo: the start is the exchange, timed from its intended moment, so the driver's own
            // lateness shows in the latency (coordinated omission corrected); a request takes its own when sent.
            if traits.exchange == .connection { intended = takeIntended(slot, now: now) }
        }
        startsLeft -= 1
        if inWindow(now) { record(slot) { $0.counters.connectionsAttempted += 1 } }
        switch connector.start() {
        case .failed(let kind):
            count(slot, kind, now: now)
            // Retry after 1 ms rather than at once: a refused or exhausted connect would otherwise spin.
            if !backOff(slot, after: kind, now: now) { arm(slot, at: now + 1_000_000) }
        case .started(let fd):
            // Readable and writable at once: the first EPOLLOUT edge is the handshake completing, and a greeting
            // connection needs no other epoll_ctl in its life.
            guard epoll.add(fd, events: Self.readInterest | Epoll.writable, data: UInt64(slot)) else {
                close(fd)
                count(slot, .localResource, now: now)
                return arm(slot, at: now + 1_000_000)
            }
            // A fresh reading, not the batch's: starts made while handling a batch of events happen later than
            // its timestamp, and timing from it would charge the driver's own work to the server.
            let started = MonotonicClock.nanos()
            slots[slot].begin(fd: fd, now: started, intended: settings.isOpenLoop ? intended : started,
                deadline: started + connectTimeoutNanos)
            openConnections += 1
        }
    }

    /// How a handshake the event reports went: nil when it completed. A refused handshake reports ERR|HUP with IN and
    /// OUT too: SO_ERROR, not the flags, says how it went.
    static func handshakeFailure(_ fd: Int32, events: UInt32) -> FailureKind? {
        guard events & (Epoll.error | Epoll.hangUp) != 0 else { return nil }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        return ConnectCall.handshakeFailure(error)
    }

    /// Edge-triggered reads: reads drain until a short read or EAGAIN, and the socket is never re-armed.
    static let readInterest = Epoll.readable | Epoll.readHangUp | Epoll.edgeTriggered

    /// Called for each epoll event of a slot.
    mutating func handle(slot: Int, events: UInt32, now: UInt64) {
        guard slots[slot].role == .measured else { return handleBackground(slot, events: events, now: now) }
        if slots[slot].phase == .connecting {
            if let kind = Self.handshakeFailure(slots[slot].fd, events: events) { return fail(slot, kind, now: now) }
            established(slot, now: now)
            guard slots[slot].phase == .open else { return }
        }
        if slots[slot].phase == .securing { return continueHandshake(slot, events: events, now: now) }
        guard slots[slot].phase == .open else { return }
        if events & Epoll.writable != 0 && slots[slot].hasOutput {
            // Ciphertext a full socket buffer left behind goes first (TLS only).
            guard sendCiphertext(slot, now: now) else { return }
            let streams = traits.streamsExchange
            guard streams ? pumpExchange(slot, now: now) : flush(slot, now: now) else { return }
        }
        if events & (Epoll.readable | Epoll.readHangUp | Epoll.hangUp | Epoll.error) != 0 {
            readAvailable(slot, hangUp: events & (Epoll.readHangUp | Epoll.hangUp | Epoll.error) != 0,
                now: now)
        }
    }

    private mutating func established(_ slot: Int, now: UInt64) {
        slots[slot].phase = tlsContext == nil ? .open : .securing
        if settings.reconnectBackoffMicros != nil { reconnected(slot, now: now) }
        if inWindow(now) {
            let connect = Self.micros(from: slots[slot].connectNanos, to: now)
            let second = second(now)
            record(slot) {
                $0.counters.connectionsEstablished += 1
                $0.connectLatency.record(micros: connect)
                $0.intervals?.record(.connect, second: second, micros: connect)
            }
        }
        if let tlsContext { return secure(slot, context: tlsContext, now: now) }
        opened(slot, now: now)
    }

    /// The conversation can start: TCP established, and TLS too when asked for.
    mutating func opened(_ slot: Int, now: UInt64) {
        slots[slot].phase = .open
        // A server that speaks first owes its answer at once; the others are waited on only once a request is out.
        slots[slot].deadlineNanos = traits.clientSends ? .max : now + timeoutNanos
        slots[slot].nextSendNanos = now
        if traits.clientSends {
            // Writability is only news after a send() found the buffer full (flush re-arms it then). Left in the
            // interest set it costs kernel work on every response (docs/performance.md, "Behind the code"). One
            // epoll_ctl per connection buys that back.
            _ = epoll.modify(slots[slot].fd, events: Self.readInterest, data: UInt64(slot))
            _ = sendDue(slot, now: now)
        }
    }

    // MARK: Finishing

    /// The server closed its side: the session gives the verdict (and an HTTP body framed by the end of the stream
    /// ends here).
    mutating func ended(_ slot: Int, now: UInt64) {
        let (event, ending) = slots[slot].session.receiveEnd()
        if case .response(let outcome)? = event, traits.clientSends { answered(slot, outcome, now: now) }
        switch ending {
        case .complete where !traits.clientSends:
            // A greeting is one request: timed from connect() (open loop: from the intended start) to the end.
            recordResponse(slot, sent: slots[slot].connectNanos, intended: slots[slot].intendedNanos, now: now)
            completed(slot, now: now)
        case .complete where slots[slot].done == slots[slot].requests
            || traits.serverMayCloseWhenIdle:
            // An HTTP server may close a keep-alive connection between responses (nginx says so after 1,000 requests;
            // RFC 9112 §9.5 lets it close an idle one without saying): the connection is whole, and the next one
            // goes on with the load. With a response outstanding the ending is `closedEarly`.
            completed(slot, now: now)
        case .complete:
            fail(slot, .closedEarly, now: now)
        case .closedEarly, .badResponse, .mismatch, .goaway:
            fail(slot, ending.failure!, now: now)
        }
    }

    /// A whole connection: its client thinks before the next one as before a next request (a watchdog that polls
    /// every few seconds reconnects every few seconds), unless the open-loop schedule decides.
    mutating func completed(_ slot: Int, now: UInt64) {
        if inWindow(now) { record(slot) { $0.counters.connectionsCompleted += 1 } }
        closeConnection(slot)
        guard slots[slot].thinkMicros > 0 && !settings.isOpenLoop && traits.clientSends else {
            return startNext(slot, now: now)
        }
        arm(slot, at: now + drawThinkNanos(slot))
    }

    /// A failure is data: counted by kind (and in the timeline), then the client is replaced.
    mutating func fail(_ slot: Int, _ kind: FailureKind, now: UInt64) {
        guard slots[slot].role == .measured else { return backgroundFailed(slot, kind, now: now) }
        count(slot, kind, now: now)
        closeConnection(slot)
        if !backOff(slot, after: kind, now: now) { startNext(slot, now: now) }
    }

    mutating func count(_ slot: Int, _ kind: FailureKind, now: UInt64) {
        guard inWindow(now) else { return }
        let second = second(now)
        let keepsTimeline = settings.keepsTimeline
        record(slot) {
            $0.counters.failures[kind] += 1
            if keepsTimeline { $0.timeline.recordFailure(second: second) }
        }
    }

    /// Closing also removes the descriptor from epoll; the new epoch makes the slot's pending timers stale.
    mutating func closeConnection(_ slot: Int) {
        if let tls = slots[slot].tls {
            // The session to offer next time: by now a TLS 1.3 server's ticket, sent after the handshake, is in.
            if settings.tls?.resume == true, tls.isHandshakeDone, let session = tls.session {
                slots[slot].tlsSession = session
            }
            slots[slot].tls = nil
        }
        close(slots[slot].fd)
        slots[slot].fd = -1
        slots[slot].phase = .idle
        slots[slot].epoch &+= 1
        slots[slot].timerPending = false
        slots[slot].deadlineNanos = .max
        openConnections -= 1
    }

    // MARK: Recording

    /// One whole, valid response: total latency (from the intended start in open loop), its uncorrected twin,
    /// the request count and the timeline.
    /// `ring`: where the request sits in the per-slot tables (nil for a greeting), for the part of the size mix.
    mutating func recordResponse(_ slot: Int, sent: UInt64, intended: UInt64, now: UInt64, ring: Int? = nil) {
        guard inWindow(now) else { return }
        let total = Self.micros(from: intended, to: now)
        let uncorrected = Self.micros(from: sent, to: now)
        let share = ring.flatMap { sentShare.isEmpty ? nil : Int(sentShare[$0]) }
        let second = second(now)
        let keepsTimeline = settings.keepsTimeline
        record(slot) {
            $0.counters.requests += 1
            $0.totalLatency.record(micros: total)
            if let share { $0.sizeLatency[share].record(micros: total) }
            $0.uncorrectedLatency?.record(micros: uncorrected)
            if keepsTimeline { $0.timeline.recordRequest(second: second, latencyMicros: total) }
            $0.intervals?.record(.total, second: second, micros: total)
            if $0.uncorrectedLatency != nil { $0.intervals?.record(.uncorrected, second: second, micros: uncorrected) }
        }
    }

    /// The oldest outstanding response of a slot is whole: timed when valid, counted by kind when an HTTP error.
    mutating func answered(_ slot: Int, _ outcome: ResponseOutcome, now: UInt64) {
        let ring = slot * settings.pipeline + slots[slot].session.eventRequest
        if let failure = outcome.failure {
            count(slot, failure, now: now)
        } else {
            recordResponse(slot, sent: sentNanos[ring],
                intended: settings.isOpenLoop ? intendedNanos[ring] : sentNanos[ring], now: now, ring: ring)
        }
        slots[slot].done += 1
    }

    /// Open loop: takes the slot's intended moment, due by `now`, for the start or request made now: the next one is
    /// drawn from the schedule, and the gap between them and this one's lateness counted. Returns the moment latency
    /// counts from.
    mutating func takeIntended(_ slot: Int, now: UInt64) -> UInt64 {
        let intended = slots[slot].nextIntendedNanos
        slots[slot].nextIntendedNanos = schedule!.next(after: intended, random: &random)
        if inWindow(intended) {
            metrics.arrivalGaps?.record(micros: Self.micros(from: intended, to: slots[slot].nextIntendedNanos))
        }
        if inWindow(now) { metrics.scheduleLag?.record(micros: Self.micros(from: intended, to: now)) }
        return intended
    }
}
