import NIOCore
import SystemCalls
import Wire

/// Every protocol on one connection of the event loop: bytes in to Wire's ``ServerSession``, what it owes out,
/// respecting backpressure.
///
/// Output is written only while the channel is writable, and reads are held back while the session wants no input
/// (it owes bytes, or holds as many HTTP answers as it may): a client that pipelines huge requests without reading
/// the answers costs a count, not memory, and is not read from again until it has caught up.
final class SessionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let resources: LoopResources
    private let session: any ServerSession
    /// Input the session did not take yet, offered again, before anything read later, once its answers are out.
    private var unread: ByteBuffer?
    /// The client half-closed while input was held back: the session hears of it once that input is taken.
    private var endPending = false
    /// A read the channel asked for while the session wanted no input, to be passed on once it does.
    private var readHeldBack = false
    private var closing = false
    /// After refusing a request the output is closed, and whatever the client still sends is read and dropped.
    private var lingering: LingeringClose?
    /// Set once the last write succeeded and the connection is closed by this handler: the conversation ended.
    private var conversationEnded = false
    /// The connection's deadlines, kept by a ``DeadlineTimer`` where the protocol times idle clients.
    var deadlines: ConnectionDeadlines
    var deadline: Scheduled<Void>?
    /// The buffer small answers are copied into, kept from one write to the next: once SwiftNIO has written it out,
    /// this is its only reference and it is cleared in place, so a request costs no allocation (while a write of it
    /// is still pending, clearing it takes fresh storage, as a new buffer would).
    private var output: ByteBuffer?
    /// A request's `--work` is under way (its wait's timer, or the pool doing its CPU and blocking part): nothing is
    /// read or written until it is done, as a handler waiting on a backend holds its answer.
    private var working = false
    private var workTimer: Scheduled<Void>?
    /// The handler left the pipeline and gave its session back: work finishing late must not touch it.
    private var removed = false

    init(resources: LoopResources) {
        self.resources = resources
        session = resources.takeSession()
        deadlines = ConnectionDeadlines(timeout: resources.readTimeout)
        deadlines.start(now: MonotonicClock.nanos())
    }

    // MARK: Inbound

    func channelActive(context: ChannelHandlerContext) {
        resources.counters.add(.connections)
        resources.opened(self, context: context)
        if resources.timesIdleClients { DeadlineTimer.arm(for: self, context: context) }
        work(resources.connectionWork(), context: context)
        writeOwed(context: context)  // a greeting is owed at once
        context.flush()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        workTimer?.cancel()
        resources.connectionClosed(conversationEnded: conversationEnded)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        workTimer?.cancel()
        removed = true
        resources.removed(self)
        resources.give(session)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if lingering != nil {
            // The rest of a refused client's input, dropped, up to the policy's limit.
            if lingering!.drop(buffer.readableBytes) { context.close(promise: nil) }  // nobody waits: it is refused
            return
        }
        // SwiftNIO may deliver several reads in one cycle: bytes held from an earlier one go first.
        if var held = unread {
            held.writeBuffer(&buffer)
            buffer = held
        }
        if working {
            unread = buffer  // taken once the work is done
            return
        }
        feed(buffer, context: context)
        writeOwed(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            deadlines.moved(now: MonotonicClock.nanos())
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
        if lingering != nil { return context.close(promise: nil) }  // nobody waits: the refused client has finished
        if !holdsInput {
            resources.counters.add(session.receiveEnd())
        } else {
            endPending = true
        }
        writeOwed(context: context)
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Counted, unless the conversation had ended, when the channel goes inactive: SwiftNIO closes a channel
        // whose write failed without reporting an error here, so that is the one place that sees every lost client.
        context.close(promise: nil)  // nobody waits for the close: the client is gone
    }

    // MARK: Outbound

    func read(context: ChannelHandlerContext) {
        if lingering != nil || (session.wantsInput && !holdsInput && !working) {
            context.read()
        } else {
            readHeldBack = true
        }
    }

    /// Input read and not acted on yet, here or in the session.
    private var holdsInput: Bool { unread != nil || session.hasHeldInput }

    /// Gives `buffer` to the session; what it does not take is kept for later, and a pending end follows it.
    private func feed(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        var buffer = buffer
        let owed = !session.owesNothing
        let received = buffer.withUnsafeReadableBytes { session.receive($0) }
        resources.counters.add(received)
        work(received.work, context: context)
        buffer.moveReaderIndex(forwardBy: received.consumed)
        unread = buffer.readableBytes > 0 ? buffer : nil
        if !holdsInput && endPending {
            endPending = false
            resources.counters.add(session.receiveEnd())
        }
        deadlines.track(session, owedBefore: owed, now: MonotonicClock.nanos())
    }

    /// Writes what the session owes while the channel is writable, feeds it the input it held back once it wants
    /// more, and closes when it is done; the caller flushes.
    private func writeOwed(context: ChannelHandlerContext) {
        while context.channel.isWritable && !working {
            let pieces = session.gather(using: &resources.random)
            if pieces.isEmpty {
                // Held input (here, or in the session: TLS records) once the session wants more; after it the
                // session either stops again or holds nothing, so this ends.
                guard holdsInput, session.wantsInput else { break }
                feed(unread ?? ByteBuffer(), context: context)
                continue
            }
            var bytes = 0
            var copied: ByteBuffer?
            // Piece by piece while the channel stays writable: a MiB slice fills its buffer at once.
            for piece in pieces where copied != nil || context.channel.isWritable {
                bytes += piece.count
                // A large piece of the pool goes as a slice of it (no copy); heads and small ones are copied together
                // into one buffer, so that a small answer is one write.
                if piece.count > 1024, let slice = resources.pooledBytes?.slice(of: piece) {
                    if let buffer = copied { context.write(wrapOutboundOut(buffer), promise: nil) }
                    copied = nil
                    context.write(wrapOutboundOut(slice), promise: nil)
                    continue
                }
                if copied == nil {
                    copied = output.take() ?? context.channel.allocator.buffer(capacity: 512)
                    copied!.clear(minimumCapacity: piece.count)
                }
                copied!.writeBytes(piece)
            }
            if let buffer = copied {
                context.write(wrapOutboundOut(buffer), promise: nil)
                output = buffer
            }
            deadlines.moved(now: MonotonicClock.nanos())
            resources.counters.add(.bytesSent, bytes)
            resources.counters.add(.requests, session.advance(bytes))
        }
        guard !working else { return }
        if readHeldBack && session.wantsInput && !holdsInput {
            readHeldBack = false
            context.read()
        }
        closeIfFinished(context: context)
    }

    // MARK: Work

    /// Does the work input brought (`--work`): the CPU and blocking parts on the loop's thread, as any handler would,
    /// or on the pool where the model has one; then a wait on the backend as a timer, while the loop serves others.
    private func work(_ work: RequestWork, context: ChannelHandlerContext) {
        guard !work.isNone else { return }
        let counters = resources.counters
        guard let pool = resources.offload, work.cpuNanos + work.blockNanos > 0 else {
            WorkPerformer.perform(work, waitHere: false, counters: counters)
            return wait(for: work, context: context)
        }
        working = true
        pool.runIfActive(eventLoop: context.eventLoop) { WorkPerformer.burnAndBlock(work) }
            .assumeIsolated().whenComplete { result in
                guard case .success(let spent) = result else {
                    if !self.removed { context.close(promise: nil) }  // the pool is stopping
                    return
                }
                WorkPerformer.worked(work, cpuNanos: spent, counters: counters)  // spent, whoever is still there
                guard !self.removed else { return }
                self.wait(for: work, context: context)
            }
    }

    /// The wait on the backend of `work`, as a timer; the held answers go out when it fires.
    private func wait(for work: RequestWork, context: ChannelHandlerContext) {
        guard work.waitNanos > 0 else {
            WorkPerformer.waited(work, counters: resources.counters)
            if working { resume(context: context) }
            return
        }
        working = true
        workTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(work.waitNanos))) {
            self.workTimer = nil
            guard !self.removed else { return }
            WorkPerformer.waited(work, counters: self.resources.counters)
            self.resume(context: context)
        }
    }

    /// The work is done: what it held goes out, and the input held behind it is taken.
    private func resume(context: ChannelHandlerContext) {
        working = false
        deadlines.moved(now: MonotonicClock.nanos())  // the work was the server's time, not the client's
        writeOwed(context: context)
        context.flush()
    }

    // MARK: Closing

    /// Closes once everything owed has left: close() would drop queued writes, but an empty write completes only
    /// after all those before it. After a refusal, only the output closes, and the rest of the client's input is
    /// read and dropped as ``LingeringClose`` says.
    private func closeIfFinished(context: ChannelHandlerContext) {
        guard session.isFinished, !closing else { return }
        closing = true
        let channel = context.channel
        let lingers = session.lingers
        context.writeAndFlush(wrapOutboundOut(ByteBuffer())).assumeIsolated().whenComplete { result in
            guard case .success = result else { return channel.close(promise: nil) }  // the client is gone
            self.conversationEnded = true
            guard lingers else { return channel.close(promise: nil) }  // nobody waits: the conversation is over
            let lingering = LingeringClose(now: MonotonicClock.nanos())
            self.lingering = lingering
            channel.close(mode: .output, promise: nil)  // nobody waits: the full close follows
            channel.read()
            channel.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(LingeringClose.durationNanos))) {
                channel.close(promise: nil)  // nobody waits: the refused client's time is up
            }
        }
    }

    /// The server is stopping: the session is told (``ServerSession/beginStop()``) and what it then owes goes out, or
    /// the connection closes if that finished it. A refused client, lingering, hears nothing more.
    func beginStop(context: ChannelHandlerContext) {
        guard !closing, lingering == nil else { return }
        session.beginStop()
        writeOwed(context: context)
        context.flush()
    }

    /// Whether the connection waits on the client: nothing is owed to it.
    var isIdle: Bool { session.owesNothing }

    /// Whether a request's work holds the connection: no deadline of the client's runs meanwhile.
    var isWorking: Bool { working }

    /// Called by ``DeadlineTimer`` when a deadline passed: closes the connection, counted as `counter`.
    func expire(_ counter: Counter, context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        resources.counters.add(counter)
        conversationEnded = true  // counted already, not as a reset
        context.close(promise: nil)  // nobody waits for the close: the client is being dropped
    }
}
