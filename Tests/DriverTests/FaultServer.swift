import Synchronization
import SystemCalls
import Wire

@testable import Driver

#if canImport(Glibc)
import Glibc
#endif

/// A small blocking server on 127.0.0.1 (port chosen by the kernel) that speaks the protocol correctly or
/// breaks it on purpose, and counts what it did, so a test can hold the driver's counts against it.
final class FaultServer: Sendable {
    enum Behaviour: Sendable {
        /// A correct greeting frame, then close.
        case greeting
        /// A greeting with `extra` bytes more (positive) or fewer (negative) than 81.
        case greetingOfLength(extra: Int)
        /// A greeting whose first byte is wrong.
        case wrongGreetingByte
        /// Accept, then never write and never close (until the server stops).
        case silent
        /// The request protocol, served by a ServerSession on a thread per connection.
        case request
    }

    let port: Int
    let accepted = Atomic<Int>(0)
    let responses = Atomic<Int>(0)
    let bytesSent = Atomic<Int>(0)
    private let listener: Int32
    private let stopped = Atomic<Bool>(false)
    private let behaviour: Behaviour
    private let stopAfter: Int?

    /// - Parameter stopAfter: stop on the accept thread once this many responses are whole, checked after each
    ///   greeting it writes (the request behaviour answers on threads of its own): a test that waited on Swift's
    ///   cooperative threads to stop the server could be held past the end of its run by other suites' work.
    init(_ behaviour: Behaviour, stopAfter: Int? = nil) throws {
        (self.behaviour, self.stopAfter) = (behaviour, stopAfter)
        let (listener, port) = try LoopbackSocket.listen(backlog: 4096)
        (self.listener, self.port) = (listener, Int(UInt16(bigEndian: port)))
        ThreadGroup.spawn("fault-accept") { [self] in acceptLoop() }.detach()
    }

    /// Stops accepting: later connects are refused, as with a killed server. The shutdown wakes the accept thread, which
    /// closes the listener itself: closed here, its number could be reused by another test's socket before that thread
    /// calls accept on it again, and take that socket's connections.
    func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        var held: [Int32] = []
        while !stopped.load(ordering: .acquiring) {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            accepted.add(1, ordering: .relaxed)
            switch behaviour {
            case .greeting: writeGreeting(connection, length: Greeting.frameLength, corrupt: false)
            case .greetingOfLength(let extra):
                writeGreeting(connection, length: Greeting.frameLength + extra, corrupt: false)
            case .wrongGreetingByte: writeGreeting(connection, length: Greeting.frameLength, corrupt: true)
            case .silent: held.append(connection)
            case .request: ThreadGroup.spawn("fault-serve") { [self] in serveRequests(connection) }.detach()
            }
            if let stopAfter, responses.load(ordering: .relaxed) >= stopAfter { stop() }
        }
        for connection in held { close(connection) }
        close(listener)
    }

    private func writeGreeting(_ connection: Int32, length: Int, corrupt: Bool) {
        var random = WyRand(seed: 1)
        var frame = [UInt8](repeating: 0x41, count: max(length, Greeting.frameLength))
        frame.withUnsafeMutableBytes { Greeting.write(into: $0, using: &random) }
        if corrupt { frame[0] ^= 0xFF }
        let written = send(connection, frame, length, Int32(MSG_NOSIGNAL))
        if written == length { responses.add(1, ordering: .relaxed) }
        bytesSent.add(max(0, written), ordering: .relaxed)
        close(connection)
    }

    private func serveRequests(_ connection: Int32) {
        var random = WyRand(seed: 2)
        let pool = RandomPool(maxSlice: 64 * 1024, random: &random)
        let session = WireProtocol.request.makeServerSession(ServerSessionSettings(maxRequestBytes: 1 << 20, pool: pool))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !session.isFinished {
            let pieces = session.gather(using: &random)
            var written = 0
            for piece in pieces {
                let count = send(connection, piece.baseAddress, piece.count, Int32(MSG_NOSIGNAL))
                guard count > 0 else { break }
                written += count
                if count < piece.count { break }
            }
            bytesSent.add(written, ordering: .relaxed)
            responses.add(session.advance(written), ordering: .relaxed)
            if !pieces.isEmpty {
                guard written > 0 else { break }  // the client is gone
                continue
            }
            let count = buffer.withUnsafeMutableBytes { read(connection, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            _ = buffer.withUnsafeBytes { session.receive(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        close(connection)
    }
}
