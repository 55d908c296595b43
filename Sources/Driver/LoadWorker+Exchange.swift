#if canImport(Glibc)
import Glibc
#endif
import SystemCalls
import Wire

/// A streamed exchange (echo): one per connection, written from the content pool in writes of random sizes while the
/// answer is read as it comes (so that neither side's buffers fill and stall the other), then a half-close, without
/// which the server's last bytes would be lost.
extension LoadWorker {
    /// The connection's exchange begins: a size drawn, a stretch of the content chosen, the clock started.
    mutating func beginExchange(_ slot: Int, now: UInt64) -> Bool {
        let share = startExchange(slot)
        let ring = slot * settings.pipeline
        sentNanos[ring] = MonotonicClock.nanos()
        if !sentShare.isEmpty { sentShare[ring] = UInt8(share) }
        if settings.isOpenLoop { intendedNanos[ring] = slots[slot].intendedNanos }
        slots[slot].sent = 1
        slots[slot].deadlineNanos = now + timeoutNanos
        return pumpExchange(slot, now: now)
    }

    /// Sends what the socket takes, up to 64 KiB a write; once all is out, half-closes. Returns false when the
    /// connection failed (and was replaced).
    mutating func pumpExchange(_ slot: Int, now: UInt64) -> Bool {
        while slots[slot].exchangeSent < slots[slot].exchangeSize {
            let chunk = slots[slot].session.exchangeBytes(
                at: slots[slot].exchangeSent, limit: 1 + Int(random.next() % (64 * 1024)))
            guard let written = sendOnce(slot, chunk.baseAddress!, count: chunk.count, now: now) else { return false }
            if written == 0 { return true }
            slots[slot].exchangeSent += written
        }
        endRequests(slot)
        return true
    }

    /// The exchange's size, drawn, and its stretch of the content, chosen at random; returns the size's part of the
    /// mix.
    mutating func startExchange(_ slot: Int) -> Int {
        let (size, share) = drawSize()
        slots[slot].session.beginExchange(size: Int(size), offset: Int(random.next() % UInt64(content!.bytes.count)))
        slots[slot].exchangeSize = Int(size)
        return share
    }
}
