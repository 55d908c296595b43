import Atomics
import Wire

/// The live counters one server thread (or one event loop) adds to; a server sums all of them for a snapshot.
///
/// Each set has a single writing thread, so no cache line is ever contended and no lock is taken; the cells are
/// atomics only so that a snapshot taken from another thread reads whole values. They sit in a block of their own,
/// aligned to 128 bytes (a cache line plus the adjacent line the prefetcher pulls in), so two threads' sets never
/// share a line either.
final class CounterCells: @unchecked Sendable {
    // @unchecked: `base` points to atomics that are only ever used through UnsafeAtomic; it is freed in deinit.
    private let base: UnsafeMutablePointer<UnsafeAtomic<Int>.Storage>

    init() {
        let count = Counter.allCases.count
        let byteCount = (count * MemoryLayout<UnsafeAtomic<Int>.Storage>.stride + 127) / 128 * 128
        let raw = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 128)
        base = raw.bindMemory(to: UnsafeAtomic<Int>.Storage.self, capacity: count)
        base.initialize(repeating: UnsafeAtomic<Int>.Storage(0), count: count)
    }

    deinit {
        base.deinitialize(count: Counter.allCases.count)
        UnsafeMutableRawPointer(base).deallocate()
    }

    @inline(__always)
    func add(_ counter: Counter, _ amount: Int = 1) {
        UnsafeAtomic(at: base + counter.rawValue).wrappingIncrement(by: amount, ordering: .relaxed)
    }

    /// What a chunk of input, or the client's end, did: the requests it refused and those it completed, and the TLS
    /// handshakes and failures it brought.
    func add(_ received: SessionInput) {
        add(.protocolErrors, received.protocolErrors)
        add(.requests, received.completed)
        add(.tlsHandshakes, received.tlsHandshakes)
        add(.tlsResumed, received.tlsResumed)
        add(.tlsFailures, received.tlsFailures)
    }

    func value(_ counter: Counter) -> Int {
        UnsafeAtomic(at: base + counter.rawValue).load(ordering: .relaxed)
    }
}

/// The things a server counts; ``ServerCounters`` shows all but `closed`, which exists so that a stopping event
/// loop can tell when its last connection has ended.
enum Counter: Int, CaseIterable {
    case connections, closed, requests, bytesSent, protocolErrors, acceptErrors, readTimeouts, writeTimeouts
    case headerTimeouts, queueFull, threadLimit, resets, tlsHandshakes, tlsResumed, tlsFailures
    case workDone, workCPUMicros, workWaitMicros, workBlockMicros
}
