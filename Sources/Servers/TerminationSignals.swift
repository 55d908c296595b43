#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import SystemCalls

/// The stop signals (``StopSignals``: SIGINT, SIGTERM, SIGHUP) as something to await, for a server process that stops
/// gracefully on any of them.
///
/// Create it before the server announces itself: when it returns, the kernel watches for the signals
/// (``RegisteredSignal``), which no longer kill the process but are delivered to ``wait()``, however soon they come.
public final class TerminationSignals: @unchecked Sendable {
    // @unchecked: `sources` is written only in init; the stream and its continuation are Sendable.
    private let sources: [any DispatchSourceSignal]
    private let received: AsyncStream<Int32>

    public init() throws(SignalWatchError) {
        let (received, continuation) = AsyncStream.makeStream(of: Int32.self)
        self.received = received
        var sources: [any DispatchSourceSignal] = []
        do {
            for signalNumber in StopSignals.all {
                sources.append(try RegisteredSignal.watch(signalNumber) { continuation.yield(signalNumber) })
            }
        } catch {
            for source in sources { source.cancel() }
            throw error
        }
        self.sources = sources
    }

    deinit {
        for source in sources { source.cancel() }
    }

    /// Returns the number of the first stop signal received once one arrives.
    public func wait() async -> Int32 {
        for await signalNumber in received { return signalNumber }
        return SIGTERM
    }
}
