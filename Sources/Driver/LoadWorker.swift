#if canImport(Glibc)
import Glibc
#endif
import Metrics
import SystemCalls
import TLS
import Wire

/// One event loop on one thread: raw epoll over a fixed array of connection slots, as wrk and the C reference
/// client do. Nothing on the hot path allocates, locks or touches an atomic; the worker counts into its own
/// ``RunMetrics``, which the run merges with the others at the end. A struct with mutating methods rather than
/// a class: Swift then checks exclusive access at compile time instead of on every property access, which costs a
/// worker time on its hottest path (docs/performance.md, "Behind the code").
struct LoadWorker {
    // MARK: Construction

    let settings: LoadSettings
    /// The protocol's traits, read once: the hot path asks them at every event.
    let traits: ProtocolTraits
    var connector: ConnectCall
    let epoll: Epoll
    var slots: [ConnectionSlot]
    var timers: TimerHeap
    /// Per slot, `pipeline` entries: when each outstanding request was sent, and (open loop) meant to be sent.
    var sentNanos: [UInt64]
    var intendedNanos: [UInt64]
    /// Per slot, `pipeline` entries: the part of the size mix each outstanding request was drawn from.
    var sentShare: [UInt8]
    /// The size mix's cumulative shares, 0-1, and the ranges they draw from.
    let shareBounds: [Double]
    /// Per slot, `pipeline` x ``requestCapacity`` bytes of requests waiting for send().
    let output: UnsafeMutableRawBufferPointer
    /// Bytes of the longest request (4 in the request protocol, an HTTP request's head).
    let requestCapacity: Int
    /// One read buffer for all connections: data is counted and checked, never kept.
    let input: UnsafeMutableRawBufferPointer
    /// `--tls`: the context every connection's TLS is made from, and the buffer ciphertext is read into before it is
    /// decrypted into ``input``.
    let tlsContext: TLSContext?
    let ciphertextInput: UnsafeMutableRawBufferPointer
    /// A streamed exchange's content (echo), which every slot's session sends from and checks against.
    let content: RandomPool?
    var random = WyRand()
    var metrics: RunMetrics
    /// A client mix: what each profile's clients measured, besides the run's figures.
    var profileMetrics: [RunMetrics]
    let live: LiveCounters

    let startNanos: UInt64
    let measureStartNanos: UInt64
    let measureEndNanos: UInt64
    let timeoutNanos: UInt64
    let connectTimeoutNanos: UInt64
    /// Open loop: when each slot's starts (greeting, echo) or requests (the other protocols) are meant to be.
    let schedule: ArrivalSchedule?
    /// Count mode: connections this worker may still start; Int.max otherwise.
    var startsLeft: Int
    /// Measured slots that still have work (count mode ends when none has).
    var busySlots: Int
    /// Slow clients: a step every `slowTickNanos`, each sending and reading up to `slowBytesPerTick` bytes.
    let slowTickNanos: UInt64
    let slowBytesPerTick: Int
    var openConnections = 0
    /// `--reconnect backoff`: clients waiting out a backoff now.
    var backingOff = 0

    /// - Parameters:
    ///   - index: this worker among all workers of all processes, which decides its share of the clients.
    ///   - startNanos: when the run started on the monotonic clock, common to the threads of a process.
    init?(settings: LoadSettings, index: Int, startNanos: UInt64, live: LiveCounters) {
        guard let connector = ConnectCall(
            host: settings.host, port: settings.port, sourceAddresses: settings.sourceAddresses,
            firstSource: index)
        else { return nil }
        // 1,024 events per wait, as refclient: enough to amortise the call, small enough to stay in cache.
        guard let epoll = Epoll(capacity: 1024) else { return nil }
        if let tls = settings.tls {
            // Checked by the options before the run (LoadSettings.problem), so a failure here is the library's.
            guard let context = try? TLSContext.client(tls, alpn: settings.wireProtocol.traits.alpn.map { [$0] } ?? [])
            else {
                epoll.release()
                return nil
            }
            tlsContext = context
        } else {
            tlsContext = nil
        }
        self.settings = settings
        self.connector = connector
        self.epoll = epoll
        self.live = live
        self.startNanos = startNanos
        let count = settings.share(of: settings.clients, worker: index)
        traits = settings.wireProtocol.traits
        // A streamed exchange's content: 2 MiB of random bytes the exchanges are cut from, cyclically, and checked
        // against.
        var seed = WyRand()
        content = traits.streamsExchange ? RandomPool(maxSlice: 1 << 20, random: &seed) : nil
        let sessionSettings = ClientSessionSettings(
            pipelineDepth: settings.pipeline, template: traits.requestsByPath ? settings.httpTemplate : nil,
            checksLength: settings.checksBodyLength, content: content)
        func session() -> any ClientSession { settings.wireProtocol.makeClientSession(sessionSettings) }
        // A session per slot, each with its own ring, so no copy-on-write happens on the hot path later. The idle and
        // slow clients come after the measured ones.
        let idle = settings.share(of: settings.idle, worker: index)
        let slow = settings.share(of: settings.slow, worker: index)
        // Client c of this worker is client index + workers x c of the run, as the first starts count them.
        slots = (0..<count).map {
            let profile = ClientProfile.profile(
                ofClient: index + settings.workerCount * $0, clients: settings.clients, in: settings.mix)
            return ConnectionSlot(session: session(), profile: settings.mix.isEmpty ? 0 : profile, settings: settings)
        }
            + (0..<idle).map { _ in ConnectionSlot(session: session(), role: .idle, settings: settings) }
            + (0..<slow).map { _ in ConnectionSlot(session: session(), role: .slow, settings: settings) }
        let total = slots.count
        requestCapacity = session().requestCapacity
        timers = TimerHeap(capacity: 2 * total)
        sentNanos = Array(repeating: 0, count: total * settings.pipeline)
        intendedNanos = Array(repeating: 0, count: settings.isOpenLoop ? total * settings.pipeline : 0)
        sentShare = Array(repeating: 0, count: settings.sizeMix.isEmpty ? 0 : total * settings.pipeline)
        // About ten steps a second, each of a whole number of bytes, the step's length fitted to the rate exactly.
        slowBytesPerTick = max(1, Int(settings.slowBytesPerSecond / 10))
        slowTickNanos = UInt64(Double(slowBytesPerTick) / settings.slowBytesPerSecond * 1e9)
        var cumulative = 0.0
        shareBounds = settings.sizeMix.map {
            cumulative += $0.percent / 100
            return cumulative
        }
        output = .allocate(byteCount: max(1, total * settings.pipeline * requestCapacity), alignment: 8)
        input = .allocate(byteCount: 64 * 1024, alignment: 16)
        ciphertextInput = .allocate(byteCount: settings.tls == nil ? 1 : 64 * 1024, alignment: 16)
        metrics = RunMetrics(
            openLoop: settings.isOpenLoop, sizeShares: settings.sizeMix.count, background: settings.hasBackground,
            reconnect: settings.reconnectBackoffMicros != nil, intervals: settings.intervalLog, tls: settings.tls != nil)
        profileMetrics = settings.mix.map { _ in
            RunMetrics(openLoop: settings.isOpenLoop, sizeShares: settings.sizeMix.count)
        }
        timeoutNanos = UInt64(settings.timeoutMicros) * 1_000
        connectTimeoutNanos = UInt64(settings.connectTimeoutMicros) * 1_000
        let warmup = settings.isCountMode ? 0 : UInt64(settings.warmupMicros) * 1_000
        measureStartNanos = startNanos + warmup
        measureEndNanos = settings.isCountMode ? .max : measureStartNanos + UInt64(settings.durationMicros) * 1_000
        schedule = settings.rate.map { [measureStartNanos] in
            ArrivalSchedule(
                $0, arrivals: settings.arrivals, clients: settings.clients, windowStartNanos: measureStartNanos,
                windowMicros: settings.durationMicros)
        }
        startsLeft = settings.connections.map { settings.share(of: $0, worker: index) } ?? .max
        busySlots = count
        scheduleFirstStarts(worker: index)
    }

    /// Paces the first connections at ``LoadSettings/pacedStartsPerSecond`` over all workers (unless `burst`),
    /// and starts each open-loop schedule where the run's client number puts it (``ArrivalSchedule``).
    private mutating func scheduleFirstStarts(worker: Int) {
        for slot in slots.indices {
            let global = worker + settings.workerCount * slot
            let paced = settings.burst ? 0 : UInt64(Double(global) / LoadSettings.pacedStartsPerSecond * 1e9)
            var first = startNanos + paced
            // Idle and slow clients start paced whatever the load's shape: they are there before the window opens.
            if let schedule, slots[slot].role == .measured {
                slots[slot].nextIntendedNanos = schedule.first(client: global, startNanos: startNanos, random: &random)
                first = slots[slot].nextIntendedNanos
            }
            arm(slot, at: first)
        }
    }

    // MARK: Running

    /// Runs until the measured window ends, count mode has finished, or SIGINT; returns what was measured and
    /// frees the worker's buffers, so it is called once.
    mutating func run() -> (RunMetrics, elapsedMicros: Int) {
        var nextScan = startNanos + 100_000_000
        var now = MonotonicClock.nanos()
        // This thread's CPU time when the measured window opened: what it spends in the window is the driver's cost
        // per request (and says whether the driver, not the server, was the limit).
        var cpuAtStart: Double?
        // The loop's own wake-up every 10 ms: its lateness is the loop lag even when no client timer is due (a closed
        // loop without think time has none).
        var nextProbe = measureStartNanos
        while now < measureEndNanos && busySlots > 0 && !Interrupt.requested {
            if cpuAtStart == nil && now >= measureStartNanos { cpuAtStart = ThreadCPU.seconds() }
            if now >= nextProbe {
                if inWindow(nextProbe) { metrics.loopLag.record(micros: Self.micros(from: nextProbe, to: now)) }
                nextProbe = now + Self.probeIntervalNanos
            }
            while let entry = timers.popDue(now: now) { fire(entry, now: now) }
            var wake = min(nextScan, measureEndNanos, nextProbe)
            if cpuAtStart == nil { wake = min(wake, measureStartNanos) }
            if let due = timers.nextDue { wake = min(wake, due) }
            let ready = epoll.wait(timeoutNanos: wake <= now ? 0 : wake - now)
            now = MonotonicClock.nanos()
            for index in 0..<ready {
                let event = epoll.event(index)
                handle(slot: Int(event.data), events: event.events, now: now)
            }
            if now >= nextScan {
                nextScan = now + 100_000_000
                expireDeadlines(now: now)
                live.publish(metrics.counters, open: openConnections)
            }
        }
        metrics.threadCPUMicros = [cpuAtStart.map { Int((ThreadCPU.seconds() - $0) * 1e6) } ?? 0]
        for slot in slots.indices where slots[slot].phase != .idle {
            switch slots[slot].role {
            case .measured: record(slot) { $0.counters.unfinishedAtEnd += 1 }
            case .idle: if slots[slot].phase == .open { metrics.background?.idleHeldAtEnd += 1 }
            case .slow: break
            }
            closeConnection(slot)
        }
        metrics.reconnect?.waitingAtEnd = backingOff
        metrics.profiles = profileMetrics
        live.publish(metrics.counters, open: 0)
        release()
        let end = min(now, measureEndNanos)
        return (metrics, Int(end > measureStartNanos ? (end - measureStartNanos) / 1_000 : 0))
    }

    /// Frees the epoll instance and the buffers: ``run()`` does at its end, and a worker stepped by hand (the tests'
    /// ConnectionNewsTests) when done with it.
    mutating func release() {
        epoll.release()
        output.deallocate()
        input.deallocate()
        ciphertextInput.deallocate()
    }

    /// Every 100 ms: connections whose wait ran past its deadline fail as timeouts (refclient scans alike). A socket
    /// the kernel already has news for is not one: its event waits in epoll behind others, the lateness is the
    /// driver's, so the news is handled now (its epoll event, if still due, then finds nothing new).
    mutating func expireDeadlines(now: UInt64) {
        // Idle and slow clients wait on purpose and have no deadline (``deadlineNanos`` stays at its maximum).
        for slot in slots.indices where slots[slot].deadlineNanos < now && slots[slot].phase != .idle {
            let connecting = slots[slot].phase == .connecting
            let news = Self.news(slots[slot].fd, connecting: connecting)
            if news != 0 {
                handle(slot: slot, events: news, now: now)
            } else {
                fail(slot, connecting ? .connectTimeout : .readTimeout, now: now)
            }
        }
    }

    /// What the kernel holds for a connection, without waiting, as the epoll event bits ``handle(slot:events:now:)``
    /// takes (poll's have the same values on Linux): the handshake's end (connecting), bytes and the end of stream,
    /// errors and hang-ups; 0 for nothing.
    static func news(_ fd: Int32, connecting: Bool) -> UInt32 {
        let asked = (connecting ? Epoll.writable : 0) | Epoll.readable | Epoll.readHangUp
        var entry = pollfd(fd: fd, events: Int16(asked), revents: 0)
        guard poll(&entry, 1, 0) == 1 else { return 0 }
        // Not POLLNVAL: a descriptor that is not open is no news, and the slot then fails as it should.
        return UInt32(UInt16(bitPattern: entry.revents)) & (asked | Epoll.error | Epoll.hangUp)
    }

    // MARK: Timers

    mutating func arm(_ slot: Int, at due: UInt64) {
        guard !slots[slot].timerPending else { return }
        slots[slot].timerPending = true
        timers.push(.init(dueNanos: due, slot: Int32(slot), epoch: slots[slot].epoch))
    }

    private mutating func fire(_ entry: TimerHeap.Entry, now: UInt64) {
        let slot = Int(entry.slot)
        guard slots[slot].epoch == entry.epoch, slots[slot].timerPending else { return }
        slots[slot].timerPending = false
        if inWindow(entry.dueNanos) { metrics.loopLag.record(micros: Self.micros(from: entry.dueNanos, to: now)) }
        switch (slots[slot].phase, slots[slot].role) {
        case (.idle, .measured): startNext(slot, now: now)
        case (.idle, _): startBackground(slot, now: now)
        case (.open, .measured): _ = sendDue(slot, now: now)
        case (.open, .slow): slowStep(slot, now: now)
        case (.open, .idle), (.connecting, _), (.securing, _): break
        }
    }

    // MARK: Recording

    /// Counts an event of a measured client into the run's figures and, in a mix, its profile's.
    @inline(__always)
    mutating func record(_ slot: Int, _ update: (inout RunMetrics) -> Void) {
        update(&metrics)
        if !profileMetrics.isEmpty { update(&profileMetrics[slots[slot].profile]) }
    }

    func inWindow(_ now: UInt64) -> Bool { now >= measureStartNanos && now < measureEndNanos }

    func second(_ now: UInt64) -> Int { Int((now - measureStartNanos) / 1_000_000_000) }

    static func micros(from start: UInt64, to end: UInt64) -> UInt64 { end > start ? (end - start) / 1_000 : 0 }

    static let probeIntervalNanos: UInt64 = 10_000_000
}
