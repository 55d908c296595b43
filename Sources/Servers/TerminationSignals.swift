#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import SystemCalls

/// The stop signals (``StopSignals``: SIGINT, SIGTERM, SIGHUP) as something to await, for a server process that stops
/// gracefully on any of them.
///
/// Create it before the server announces itself: from then on the signals no longer kill the process (their default
/// action is replaced by SIG_IGN, as Dispatch signal sources need) but are delivered to ``wait()``.
public final class TerminationSignals: @unchecked Sendable {
    // @unchecked: `sources` is written only in init; the stream and its continuation are Sendable.
    private let sources: [any DispatchSourceSignal]
    private let received: AsyncStream<Int32>

    public init() {
        let (received, continuation) = AsyncStream.makeStream(of: Int32.self)
        self.received = received
        sources = StopSignals.all.map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { continuation.yield(signalNumber) }
            source.resume()
            return source
        }
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
