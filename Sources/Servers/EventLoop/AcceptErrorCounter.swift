import NIOCore

/// Counts the listening channel's failed accepts, which SwiftNIO reports as errors on that channel, and passes them
/// on to the `AcceptBackoffHandler` behind it.
final class AcceptErrorCounter: ChannelInboundHandler {
    typealias InboundIn = Channel

    private let counters: CounterCells

    init(counters: CounterCells) {
        self.counters = counters
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        counters.add(.acceptErrors)
        context.fireErrorCaught(error)
    }
}
