import Metrics

/// `--reconnect backoff`: clients that wait before they reconnect to a server that refused or reset them, instead of
/// being replaced at once, as a real client library does (exponential backoff with full jitter, so that a server
/// coming back is not met by every client in the same instant), and the time the load takes to come back in full.
extension LoadWorker {
    /// Arms the slot's next start after a backoff when `kind` calls for one; false when it does not (no backoff set,
    /// or a failure other than a refusal or a reset).
    mutating func backOff(_ slot: Int, after kind: FailureKind, now: UInt64) -> Bool {
        guard let backoff = settings.reconnectBackoffMicros, kind == .connectRefused || kind == .connectionReset
        else { return false }
        slots[slot].backoffAttempts = min(slots[slot].backoffAttempts + 1, 30)
        let cap = min(UInt64(backoff.upperBound), UInt64(backoff.lowerBound) << (slots[slot].backoffAttempts - 1))
        let delayNanos = random.next() % (cap + 1) * 1_000
        if !slots[slot].inBackoff {
            slots[slot].inBackoff = true
            backingOff += 1
        }
        // A refusal after the load came back in full starts a new outage.
        if metrics.reconnect?.fullNanos != nil {
            metrics.reconnect?.backNanos = nil
            metrics.reconnect?.fullNanos = nil
        }
        if inWindow(now) { metrics.reconnect?.reconnects += 1 }
        arm(slot, at: now + delayNanos)
        return true
    }

    /// A handshake completed: the server is back (the first since clients began waiting), and once no client waits
    /// any more, the load is whole again.
    mutating func reconnected(_ slot: Int, now: UInt64) {
        if backingOff > 0 && metrics.reconnect?.backNanos == nil { metrics.reconnect?.backNanos = now }
        guard slots[slot].inBackoff else {
            slots[slot].backoffAttempts = 0
            return
        }
        slots[slot].inBackoff = false
        slots[slot].backoffAttempts = 0
        backingOff -= 1
        if backingOff == 0 { metrics.reconnect?.fullNanos = now }
    }
}
