import SystemCalls
import Testing
import Wire

@testable import Driver

#if canImport(Glibc)
import Glibc
#endif

/// What the driver makes of a connection the kernel has news for that the driver has not yet taken: real sockets
/// on loopback, each put by hand into the state in question and handed to a worker's slot.
@Suite(.timeLimit(.minutes(1)))
struct ConnectionNewsTests {
    /// A worker with one slot and nothing left to start (count mode, so every moment is in its window).
    private func worker() throws -> LoadWorker {
        var settings = LoadSettings()
        (settings.clients, settings.threads, settings.connections) = (1, 1, 1)
        var worker = try #require(
            LoadWorker(settings: settings, index: 0, startNanos: MonotonicClock.nanos(), live: LiveCounters()))
        worker.startsLeft = 0
        return worker
    }

    /// Gives `fd` to slot 0 as a connect started 3 s ago whose deadline has passed; the worker now owns `fd`.
    private func hand(_ fd: Int32, to worker: inout LoadWorker) {
        let started = MonotonicClock.nanos() - 3_000_000_000
        worker.slots[0].begin(fd: fd, now: started, intended: started, deadline: started + 2_000_000_000)
        worker.openConnections += 1
    }

    /// Writes a whole greeting frame and half-closes: the server's side of a good connection.
    private func greet(_ server: Int32) {
        var random = WyRand(seed: 3)
        var frame = [UInt8](repeating: 0, count: Greeting.frameLength)
        frame.withUnsafeMutableBytes { Greeting.write(into: $0, using: &random) }
        #expect(send(server, frame, frame.count, Int32(MSG_NOSIGNAL)) == frame.count)
        shutdown(server, Int32(SHUT_WR))
    }

    /// The state behind "connect refused" at 10,000 clients: the server sent a whole greeting and its FIN, then a
    /// reset came (its kernel had forgotten the connection), all before the driver took the handshake's event.
    @Test func aResetAfterTheServersEndLeavesTheGreetingASuccess() throws {
        var worker = try worker()
        defer { worker.release() }
        let (client, server) = try LoopbackSocket.connectedPair()
        greet(server)
        try #require(LoopbackSocket.wait(client, for: Int32(Epoll.readHangUp)) != 0)
        // Linger 0: close() now sends a reset, which reaches the client in CLOSE_WAIT.
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(server, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close(server)
        try #require(LoopbackSocket.wait(client, for: 0) & Int32(Epoll.error) != 0)

        hand(client, to: &worker)
        let now = MonotonicClock.nanos()
        worker.handle(slot: 0, events: LoadWorker.news(client, connecting: true), now: now)
        #expect(worker.metrics.counters.failures.total == 0)
        #expect(worker.metrics.counters.connectionsCompleted == 1)
        #expect(worker.metrics.counters.bytesReceived == Greeting.frameLength)
    }

    @Test func resetsBeforeTheServersEndAndRefusalsAreFailures() {
        #expect(ConnectCall.handshakeFailure(ECONNRESET) == .connectionReset)
        #expect(ConnectCall.handshakeFailure(ECONNREFUSED) == .connectRefused)
        #expect(ConnectCall.handshakeFailure(ETIMEDOUT) == .connectTimeout)
    }

    /// Past the deadline, a handshake and a greeting that came while the driver was busy are taken, not failed.
    @Test func newsWaitingAtTheDeadlineIsHandledNotFailed() throws {
        var worker = try worker()
        defer { worker.release() }
        let (client, server) = try LoopbackSocket.connectedPair()
        defer { close(server) }
        greet(server)
        try #require(LoopbackSocket.wait(client, for: Int32(Epoll.readHangUp)) != 0)

        hand(client, to: &worker)
        worker.expireDeadlines(now: MonotonicClock.nanos())
        #expect(worker.metrics.counters.failures.total == 0)
        #expect(worker.metrics.counters.connectionsCompleted == 1)
    }

    /// A finished handshake is news, so the connection opens; a greeting that then does not come is a read timeout.
    @Test func silenceAfterTheHandshakeIsAReadTimeout() throws {
        var worker = try worker()
        defer { worker.release() }
        let (client, server) = try LoopbackSocket.connectedPair()
        defer { close(server) }
        try #require(LoopbackSocket.wait(client, for: Int32(Epoll.writable)) != 0)

        hand(client, to: &worker)
        worker.expireDeadlines(now: MonotonicClock.nanos())
        #expect(worker.metrics.counters.failures.total == 0)
        #expect(worker.slots[0].phase == .open)
        worker.slots[0].deadlineNanos = 0
        worker.expireDeadlines(now: MonotonicClock.nanos())
        #expect(worker.metrics.counters.failures[.readTimeout] == 1)
    }

    /// A SYN the server's full queue dropped leaves no news: a connect timeout.
    @Test func aDroppedSYNIsAConnectTimeout() throws {
        var worker = try worker()
        defer { worker.release() }
        // Backlog 0 holds one connection; the listener never accepts, so later SYNs are dropped.
        let (listener, port) = try LoopbackSocket.listen(backlog: 0)
        defer { close(listener) }
        let held = try LoopbackSocket.connect(port: port, blocking: false)
        defer { close(held) }
        try #require(LoopbackSocket.wait(listener, for: Int32(POLLIN)) != 0)  // the queue is full

        hand(try LoopbackSocket.connect(port: port, blocking: false), to: &worker)
        worker.expireDeadlines(now: MonotonicClock.nanos())
        #expect(worker.metrics.counters.failures[.connectTimeout] == 1)
        #expect(worker.metrics.counters.failures.total == 1)
    }
}
