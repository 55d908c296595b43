#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// Counts the listener's failed accepts (SwiftNIO reports them as errors on the listening channel) and, unless the
/// client merely gave up while queued (ECONNABORTED), stops accepting for 10 ms, as the blocking models do.
///
/// SwiftNIO's `AcceptBackoffHandler` is not enough: it only delays `read()` calls, but after a failed accept the
/// listener stays registered for readability, and a backlog that stays readable brings the loop straight back to
/// a failing accept, spinning under EMFILE (docs/performance.md, "Behind the code"). Turning autoRead off
/// unregisters the listener until the pause is over.
///
/// Each listener has its own (the event loop opens several per loop): under EMFILE every one of them fails once
/// and pauses, so `accept_errors` grows by up to one per listener every 10 ms.
final class AcceptBackoff: ChannelInboundHandler {
    typealias InboundIn = Channel

    private static let pause = TimeAmount.milliseconds(10)

    private let counters: CounterCells
    private var isPaused = false

    init(counters: CounterCells) {
        self.counters = counters
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Not passed on: nothing behind this handler has any use for an accept error.
        counters.add(.acceptErrors)
        guard !isPaused, (error as? IOError)?.errnoCode != ECONNABORTED,
            let options = context.channel.syncOptions
        else { return }
        isPaused = true
        try? options.setOption(.autoRead, value: false)
        let channel = context.channel
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.pause) {
            self.isPaused = false
            try? channel.syncOptions?.setOption(.autoRead, value: true)
        }
    }
}
