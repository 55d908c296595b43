import Testing
import Wire

@testable import Driver

#if canImport(Glibc)
import Glibc
#endif

/// What the kernel reports about a connection the driver has not looked at yet, and the driver's reading of it:
/// real sockets on loopback, each put by hand into the state in question.
@Suite(.timeLimit(.minutes(1)))
struct ConnectionNewsTests {
    /// POLLRDHUP (not in Glibc's Swift overlay): the peer's FIN has arrived.
    private static let readHangUp: Int32 = 0x2000

    /// The state behind "connect refused" at 10,000 clients: the server sent a whole greeting and its FIN, then a
    /// reset came (its kernel had forgotten the connection). The driver must read the greeting, not fail it.
    @Test func aResetAfterTheServersEndLeavesTheGreetingWhole() throws {
        let (client, server) = try LoopbackSocket.connectedPair()
        defer { close(client) }
        var random = WyRand(seed: 3)
        var frame = [UInt8](repeating: 0, count: Greeting.frameLength)
        frame.withUnsafeMutableBytes { Greeting.write(into: $0, using: &random) }
        #expect(send(server, frame, frame.count, Int32(MSG_NOSIGNAL)) == frame.count)
        shutdown(server, Int32(SHUT_WR))
        try #require(LoopbackSocket.wait(client, for: Self.readHangUp) & Self.readHangUp != 0)
        // Linger 0: close() now sends a reset, which reaches the client in CLOSE_WAIT.
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(server, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close(server)
        try #require(LoopbackSocket.wait(client, for: 0) & Int32(POLLERR) != 0)

        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(client, SOL_SOCKET, SO_ERROR, &error, &length)
        #expect(error == EPIPE)
        #expect(ConnectCall.handshakeFailure(error) == nil)
        var session = ClientSession(protocol: .greeting)
        var buffer = [UInt8](repeating: 0, count: 4096)
        var count = 0
        repeat {
            count = buffer.withUnsafeMutableBytes { read(client, $0.baseAddress, $0.count) }
            if count > 0 { _ = buffer.withUnsafeBytes { session.receive(UnsafeRawBufferPointer(rebasing: $0[0..<count])) } }
        } while count > 0
        #expect(count == 0)
        #expect(session.receiveEnd() == .complete)
    }

    @Test func resetsBeforeTheServersEndAndRefusalsAreFailures() {
        #expect(ConnectCall.handshakeFailure(ECONNRESET) == .connectionReset)
        #expect(ConnectCall.handshakeFailure(ECONNREFUSED) == .connectRefused)
        #expect(ConnectCall.handshakeFailure(ETIMEDOUT) == .connectTimeout)
    }

    /// A handshake the kernel finished while the driver was busy is news; one whose SYN was dropped is not.
    @Test func aFinishedHandshakeIsNewsAndADroppedSYNIsNot() throws {
        // Backlog 0 holds one connection; the listener never accepts, so later SYNs are dropped.
        let (listener, port) = try LoopbackSocket.listen(backlog: 0)
        defer { close(listener) }
        let held = try LoopbackSocket.startConnect(to: port)
        defer { close(held) }
        try #require(LoopbackSocket.wait(held, for: Int32(POLLOUT)) & Int32(POLLOUT) != 0)
        #expect(LoadWorker.news(held, connecting: true) == Epoll.writable)
        try #require(LoopbackSocket.wait(listener, for: Int32(POLLIN)) & Int32(POLLIN) != 0)  // the queue is full
        let waiting = try LoopbackSocket.startConnect(to: port)
        defer { close(waiting) }
        #expect(LoadWorker.news(waiting, connecting: true) == 0)
    }

    /// On an open connection, bytes or an end of stream waiting to be read are news; silence is not.
    @Test func bytesOrAnEndWaitingToBeReadAreNews() throws {
        let (client, server) = try LoopbackSocket.connectedPair()
        defer { close(client) }
        try #require(LoopbackSocket.wait(client, for: Int32(POLLOUT)) & Int32(POLLOUT) != 0)
        #expect(LoadWorker.news(client, connecting: false) == 0)
        #expect(send(server, "x", 1, Int32(MSG_NOSIGNAL)) == 1)
        try #require(LoopbackSocket.wait(client, for: Int32(POLLIN)) != 0)
        #expect(LoadWorker.news(client, connecting: false) == Epoll.readable)
        var byte: UInt8 = 0
        #expect(read(client, &byte, 1) == 1)
        #expect(LoadWorker.news(client, connecting: false) == 0)
        close(server)
        try #require(LoopbackSocket.wait(client, for: Int32(POLLIN)) != 0)
        #expect(LoadWorker.news(client, connecting: false) == Epoll.readable | Epoll.readHangUp)
    }
}
