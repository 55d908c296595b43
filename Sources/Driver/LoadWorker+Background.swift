#if canImport(Glibc)
import Glibc
#endif
import Metrics
import SystemCalls
import Wire

/// Idle and slow clients (`--idle`, `--slow`): connections beside the measured ones that hold a server's attention
/// without asking much of it, the C10K case in which a thread per connection starves and an event loop does not. They
/// have no deadline (waiting is what they do), count into ``BackgroundClients`` only, and reconnect when their
/// connection ends, so the pressure they put on the server lasts the whole run.
extension LoadWorker {
    /// A slow reader's receive buffer: small, so that the server's writes wait on the client's reads, not on memory.
    static let slowReceiveBuffer: Int32 = 4096
    /// Pause before a background client reconnects after a failure, so that a refusing server is not spun on.
    static let backgroundRetryNanos: UInt64 = 100_000_000

    mutating func startBackground(_ slot: Int, now: UInt64) {
        switch connector.start(receiveBuffer: slots[slot].role == .slow ? Self.slowReceiveBuffer : nil) {
        case .failed(let kind):
            backgroundFailed(slot, kind, now: now)
        case .started(let fd):
            guard epoll.add(fd, events: Self.readInterest | Epoll.writable, data: UInt64(slot)) else {
                close(fd)
                return backgroundFailed(slot, .localResource, now: now)
            }
            slots[slot].begin(fd: fd, now: now, intended: now, deadline: now + connectTimeoutNanos)
            openConnections += 1
        }
    }

    mutating func handleBackground(_ slot: Int, events: UInt32, now: UInt64) {
        if slots[slot].phase == .connecting {
            if let kind = Self.handshakeFailure(slots[slot].fd, events: events) {
                return backgroundFailed(slot, kind, now: now)
            }
            slots[slot].phase = .open
            slots[slot].deadlineNanos = .max
            _ = epoll.modify(slots[slot].fd, events: Self.readInterest, data: UInt64(slot))
            guard slots[slot].role == .slow else {
                metrics.background?.idleOpened += 1
                return drainIdle(slot, now: now)
            }
            return slowStep(slot, now: now)
        }
        // A slow client reads at its own pace, in its steps; an idle one hears only that the server let it go.
        if slots[slot].phase == .open && slots[slot].role == .idle { drainIdle(slot, now: now) }
    }

    /// Reads what the server sent a silent client (an HTTP server may say 408 before it closes): at the end of the
    /// stream or a reset, the server dropped it, and it reconnects.
    private mutating func drainIdle(_ slot: Int, now: UInt64) {
        while true {
            let count = read(slots[slot].fd, input.baseAddress!, input.count)
            if count > 0 { continue }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && errno == EAGAIN { return }
            if inWindow(now) { metrics.background?.idleDropped += 1 }
            closeConnection(slot)
            // After a pause: a server that accepts and closes at once is not met by a storm of reconnects.
            return arm(slot, at: now + Self.backgroundRetryNanos)
        }
    }

    /// A slow client's step: its next request once the last is answered, then up to ``slowBytesPerTick`` bytes
    /// sent and as many read, then the next step.
    mutating func slowStep(_ slot: Int, now: UInt64) {
        guard slots[slot].phase == .open else { return }
        // canSend: an HTTP server may have said it closes after its answer, its FIN still to come.
        if !slots[slot].hasOutput && slots[slot].session.outstanding == 0 && slots[slot].session.canSend
            && slots[slot].sent < slots[slot].requests
        {
            beginSlowRequest(slot, now: now)
        }
        guard sendSlowly(slot, now: now), readSlowly(slot, now: now) else { return }
        arm(slot, at: now + slowTickNanos)
    }

    private mutating func beginSlowRequest(_ slot: Int, now: UInt64) {
        let depth = settings.pipeline
        if traits.streamsExchange {
            _ = startExchange(slot)
        } else {
            let (size, _) = drawSize()
            let region = slot * depth * requestCapacity
            let room = UnsafeMutableRawBufferPointer(rebasing: output[region..<(region + depth * requestCapacity)])
            let last = slots[slot].sent + 1 == slots[slot].requests
            slots[slot].outStart = 0
            slots[slot].outEnd = slots[slot].session.writeRequest(size, last: last, into: room)
        }
        sentNanos[slot * depth + slots[slot].session.lastRequest] = now
        slots[slot].sent += 1
    }

    /// Returns false when the connection failed (and was replaced).
    private mutating func sendSlowly(_ slot: Int, now: UInt64) -> Bool {
        guard slots[slot].hasOutput else { return true }
        let streams = traits.streamsExchange
        let chunk = streams
            ? slots[slot].session.exchangeBytes(at: slots[slot].exchangeSent, limit: slowBytesPerTick)
            : UnsafeRawBufferPointer(rebasing: output[
                (slot * settings.pipeline * requestCapacity + slots[slot].outStart)...].prefix(
                    min(slowBytesPerTick, slots[slot].outEnd - slots[slot].outStart)))
        let written = send(slots[slot].fd, chunk.baseAddress, chunk.count, Int32(MSG_NOSIGNAL))
        if written > 0 {
            if streams { slots[slot].exchangeSent += written } else { slots[slot].outStart += written }
        } else if errno != EAGAIN && errno != EINTR {
            backgroundFailed(slot, ConnectCall.transferFailure(errno), now: now)
            return false
        }
        endRequests(slot)
        return true
    }

    /// Returns false when the connection ended (and was replaced).
    private mutating func readSlowly(_ slot: Int, now: UInt64) -> Bool {
        let count = read(slots[slot].fd, input.baseAddress!, min(slowBytesPerTick, input.count))
        if count < 0 {
            guard errno == EAGAIN || errno == EINTR else {
                backgroundFailed(slot, ConnectCall.transferFailure(errno), now: now)
                return false
            }
            return true
        }
        if count == 0 {
            let (event, ending) = slots[slot].session.receiveEnd()
            if case .response(let outcome)? = event { slowAnswered(slot, outcome, now: now) }
            if let failure = ending.failure { backgroundFailed(slot, failure, now: now) } else {
                closeConnection(slot)
                startBackground(slot, now: now)
            }
            return false
        }
        let chunk = UnsafeRawBufferPointer(rebasing: input[0..<count])
        var offset = 0
        while offset < count {
            let (end, event) = slots[slot].session.next(chunk, from: offset)
            offset = end
            if case .response(let outcome)? = event { slowAnswered(slot, outcome, now: now) }
            if let failure = event?.failure {
                backgroundFailed(slot, failure, now: now)
                return false
            }
        }
        return true
    }

    private mutating func slowAnswered(_ slot: Int, _ outcome: ResponseOutcome, now: UInt64) {
        guard inWindow(now) else { return }
        if let failure = outcome.failure {
            metrics.background?.slowFailures[failure] += 1
        } else {
            metrics.background?.slowResponses += 1
            let sent = sentNanos[slot * settings.pipeline + slots[slot].session.eventRequest]
            metrics.background?.slowLatency.record(micros: Self.micros(from: sent, to: now))
        }
    }

    /// A background client's connection failed, or could not be opened: counted apart, and tried again shortly.
    mutating func backgroundFailed(_ slot: Int, _ kind: FailureKind, now: UInt64) {
        if inWindow(now) {
            if slots[slot].role == .idle {
                metrics.background?.idleFailed += 1  // an open idle connection that ends is dropped (drainIdle)
            } else {
                metrics.background?.slowFailures[kind] += 1
            }
        }
        if slots[slot].phase != .idle { closeConnection(slot) }
        arm(slot, at: now + Self.backgroundRetryNanos)
    }
}
