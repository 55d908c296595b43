import NIOCore
import Wire

/// The greeting protocol on one connection: on accept, write the 81-byte frame, then close.
final class GreetingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let resources: LoopResources

    init(resources: LoopResources) {
        self.resources = resources
    }

    func channelActive(context: ChannelHandlerContext) {
        resources.counters.add(.connections)
        var frame = context.channel.allocator.buffer(capacity: Greeting.frameLength)
        frame.writeWithUnsafeMutableBytes(minimumWritableBytes: Greeting.frameLength) { bytes in
            Greeting.write(into: bytes, using: &resources.random)
            return Greeting.frameLength
        }
        let counters = resources.counters
        let channel = context.channel
        // Close once the frame is written, not at once: close() drops writes still queued.
        context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { result in
            if case .success = result {
                counters.add(.requests)
                counters.add(.bytesSent, Greeting.frameLength)
            }
            channel.close(promise: nil)  // nobody waits for the close: the conversation is over either way
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        resources.counters.add(.closed)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A greeting client has nothing to say; whatever it sends is dropped.
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        resources.counters.add(.resets)
        context.close(promise: nil)  // nobody waits for the close: the client is gone
    }
}
