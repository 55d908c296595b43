import NIOCore
import Wire

/// The greeting protocol on one connection: on accept, write the 81-byte frame, then close.
final class GreetingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let resources: LoopResources
    private var frameWritten = false

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
        let channel = context.channel
        // Close once the frame is written, not at once: close() drops writes still queued. The callback runs on
        // this loop, hence assumeIsolated.
        context.writeAndFlush(wrapOutboundOut(frame)).assumeIsolated().whenComplete { result in
            if case .success = result {
                self.frameWritten = true
                self.resources.counters.add(.requests)
                self.resources.counters.add(.bytesSent, Greeting.frameLength)
            }
            channel.close(promise: nil)  // nobody waits for the close: the conversation is over either way
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        resources.connectionClosed(conversationEnded: frameWritten)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A greeting client has nothing to say; whatever it sends is dropped.
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Counted, if the frame had not gone yet, when the channel goes inactive: SwiftNIO closes a channel whose
        // write failed without reporting an error here, so that is the one place that sees every lost client.
        context.close(promise: nil)  // nobody waits for the close: the client is gone
    }
}
