import NIOCore

/// The two deadlines of an HTTP connection on the event loop, both the read timeout: a request head must be whole
/// within it of its first byte (else a slowloris, counted as a header timeout), and a client that owes nothing and
/// sends nothing for that long is closed (counted as a read timeout, as the blocking models count theirs).
///
/// One scheduled task per connection, not one per request: when it fires it looks at when the head began and when
/// the client last sent anything, and arms itself again for the earlier of the two deadlines still ahead.
enum HTTPDeadline {
    static func arm(for handler: SessionHandler, context: ChannelHandlerContext, timeout: TimeAmount) {
        let next = min(handler.headStarted ?? .distantFuture, handler.lastActivity) + timeout
        context.eventLoop.assumeIsolated().scheduleTask(deadline: next) {
            check(handler, context: context, timeout: timeout)
        }
    }

    private static func check(_ handler: SessionHandler, context: ChannelHandlerContext, timeout: TimeAmount) {
        guard context.channel.isActive else { return }
        let now = NIODeadline.now()
        if let started = handler.headStarted, now - started >= timeout {
            return handler.expire(.headerTimeouts, context: context)
        }
        if handler.headStarted == nil && handler.isIdle && now - handler.lastActivity >= timeout {
            return handler.expire(.readTimeouts, context: context)
        }
        arm(for: handler, context: context, timeout: timeout)
    }
}
