import NIOCore
import Wire

/// The request protocol on one connection: headers in, random bytes out, respecting backpressure.
///
/// What the client has asked for is a count, `owedBytes`, written as pool slices only while the channel is writable.
/// While anything is owed, reads are held back, so a client that pipelines huge requests without reading the answers
/// costs a number, not memory, and is not read from again until it has caught up.
final class RequestHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let resources: LoopResources
    private let pooledBytes: PooledBytes
    private var session: ServerSession
    private var owedBytes = 0
    /// Requests whose bytes are not all written yet; counted as answered once nothing is owed.
    private var unansweredRequests = 0
    /// A read the channel asked for while bytes were owed, to be passed on once they are written.
    private var readHeldBack = false
    private var inputClosed = false
    /// Set when this handler closes the connection: after a protocol error, or once everything owed has left.
    private var conversationEnded = false

    init(resources: LoopResources, pooledBytes: PooledBytes) {
        self.resources = resources
        self.pooledBytes = pooledBytes
        session = ServerSession(maxRequestBytes: resources.maxRequestBytes)
    }

    // MARK: Inbound

    func channelActive(context: ChannelHandlerContext) {
        resources.counters.add(.connections)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        resources.connectionClosed(conversationEnded: conversationEnded)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let outcome = unwrapInboundIn(data).withUnsafeReadableBytes { session.receive($0) }
        guard outcome.violation == nil else { return closeForViolation(context: context) }
        owedBytes += outcome.responseBytes
        unansweredRequests += outcome.requests
        writeOwed(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            writeOwed(context: context)
            context.flush()
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case .some(.inputClosed) = event as? ChannelEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        inputClosed = true
        guard session.receiveEnd() == nil else { return closeForViolation(context: context) }
        closeWhenAnswered(context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Counted, unless the conversation had ended, when the channel goes inactive: SwiftNIO closes a channel
        // whose write failed without reporting an error here, so that is the one place that sees every lost client.
        context.close(promise: nil)  // nobody waits for the close: the client is gone
    }

    // MARK: Outbound

    func read(context: ChannelHandlerContext) {
        if owedBytes > 0 {
            readHeldBack = true
        } else {
            context.read()
        }
    }

    /// Writes owed bytes while the channel is writable; the caller flushes.
    private func writeOwed(context: ChannelHandlerContext) {
        while owedBytes > 0 && context.channel.isWritable {
            let count = min(owedBytes, pooledBytes.maxSlice)
            context.write(wrapOutboundOut(pooledBytes.slice(count, using: &resources.random)), promise: nil)
            owedBytes -= count
            resources.counters.add(.bytesSent, count)
        }
        guard owedBytes == 0 else { return }
        if unansweredRequests > 0 {
            resources.counters.add(.requests, unansweredRequests)
            unansweredRequests = 0
        }
        if readHeldBack {
            readHeldBack = false
            context.read()
        }
        closeWhenAnswered(context: context)
    }

    // MARK: Closing

    private func closeForViolation(context: ChannelHandlerContext) {
        resources.counters.add(.protocolErrors)
        conversationEnded = true
        context.close(promise: nil)  // nobody waits for the close: the connection is over either way
    }

    /// After the client's half-close, closes once everything owed has left: close() would drop queued writes, but
    /// an empty write completes only after all those before it.
    private func closeWhenAnswered(context: ChannelHandlerContext) {
        guard inputClosed, owedBytes == 0, !conversationEnded else { return }
        conversationEnded = true
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(ByteBuffer())).whenComplete { _ in
            channel.close(promise: nil)  // nobody waits for the close: the conversation is over either way
        }
    }
}
