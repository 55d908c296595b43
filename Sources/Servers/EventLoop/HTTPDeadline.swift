import NIOCore

/// The deadlines of an HTTP connection on the event loop, all the read timeout: a request must be whole within it
/// of its first byte (else a slowloris, counted as a header timeout); a client that owes nothing and sends nothing
/// for that long is closed (a read timeout, as the blocking models count theirs); and output owed that makes no
/// progress for that long, the client not reading, closes it too (a write timeout).
///
/// One scheduled task per connection, not one per request: when it fires it looks at when each clock last moved,
/// and arms itself again for the earliest deadline still ahead. The handler cancels it when the channel closes.
enum HTTPDeadline {
    static func arm(for handler: SessionHandler, context: ChannelHandlerContext, timeout: TimeAmount) {
        let now = NIODeadline.now()
        let watched = handler.isIdle ? handler.lastActivity : handler.lastProgress
        var next = min(handler.requestStarted ?? .distantFuture, watched) + timeout
        if next <= now { next = now + timeout }  // a clock moved since the last check: look again a timeout later
        handler.deadline = context.eventLoop.assumeIsolated().scheduleTask(deadline: next) {
            check(handler, context: context, timeout: timeout)
        }
    }

    private static func check(_ handler: SessionHandler, context: ChannelHandlerContext, timeout: TimeAmount) {
        guard context.channel.isActive else { return }
        let now = NIODeadline.now()
        if let started = handler.requestStarted, now - started >= timeout {
            return handler.expire(.headerTimeouts, context: context)
        }
        if handler.isIdle {
            if handler.requestStarted == nil && now - handler.lastActivity >= timeout {
                return handler.expire(.readTimeouts, context: context)
            }
        } else if now - handler.lastProgress >= timeout {
            return handler.expire(.writeTimeouts, context: context)
        }
        arm(for: handler, context: context, timeout: timeout)
    }
}
