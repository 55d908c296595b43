import NIOCore
import SystemCalls

/// The event loop's way of keeping a connection's ``ConnectionDeadlines``: one scheduled task per connection, not one
/// per request. When it fires it asks the deadlines whether one has passed, and if none has, arms itself again for
/// the earliest one still ahead. The handler cancels it when the channel closes.
enum DeadlineTimer {
    static func arm(for handler: SessionHandler, context: ChannelHandlerContext) {
        let now = MonotonicClock.nanos()
        let wait = handler.deadlines.next > now ? handler.deadlines.next - now : 0
        handler.deadline = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(clamping: wait))) {
            check(handler, context: context)
        }
    }

    private static func check(_ handler: SessionHandler, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        if !handler.isWorking,
            let expired = handler.deadlines.expired(now: MonotonicClock.nanos(), owesNothing: handler.isIdle) {
            return handler.expire(expired, context: context)
        }
        arm(for: handler, context: context)
    }
}
