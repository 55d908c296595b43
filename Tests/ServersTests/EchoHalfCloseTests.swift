import Foundation
import Servers
import SystemCalls
import Testing
import Wire

#if canImport(Glibc)
import Glibc
#endif

/// The echo client's classic mistake, against every model: a client that writes everything and then closes loses the
/// echo still on its way; one that half-closes (shutdown of its sending side) and reads to the end loses nothing.
// One case at a time: each is a whole load run, and 30 at once on two cores starve the suites timed beside them.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct EchoHalfCloseTests {
    static let payload: [UInt8] = (0..<(1 << 18)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }

    /// Writes the payload while reading what comes back (so neither side's buffers fill and stall the other), then
    /// half-closes and reads to the end, or closes at once; returns what came back before the end or the close.
    static func echo(port: Int, halfClose: Bool) throws -> [UInt8] {
        let client = try TestClient(port: port)
        var received: [UInt8] = []
        var sent = 0
        var stalled = false
        let deadline = ContinuousClock.now + .seconds(20)
        while sent < payload.count {
            guard ContinuousClock.now < deadline else { return received }
            // Reads before each write, never after the last: what that write sent cannot have come back. Waits a
            // moment for the echo only when the socket took nothing last time, so the loop does not spin.
            received += client.readAvailable(waitingMillis: stalled ? 5 : 0)
            let wrote = client.sendSome(payload[sent..<min(payload.count, sent + 60_000)])
            sent += wrote
            stalled = wrote == 0
        }
        guard halfClose else { return received }  // the client's close follows in deinit
        client.halfClose()
        return received + client.readToEnd().bytes
    }

    /// Runs the blocking client on a thread of its own: on one of Swift's few cooperative threads it would hold up
    /// the other suites' timed runs for its seconds of work.
    static func onItsOwnThread(_ body: @escaping @Sendable () throws -> [UInt8]) async throws -> [UInt8] {
        try await PosixThread.offload("test-echo-client") { Result { try body() } }.get()
    }

    @Test(arguments: ServerModel.allCases)
    func closingLosesTheTailAndHalfClosingLosesNothing(model: ServerModel) async throws {
        try await withRunningServer(model, protocol: .echo) { server, port in
            let closed = try await Self.onItsOwnThread { try Self.echo(port: port, halfClose: false) }
            #expect(closed.count < Self.payload.count, "the bytes written last cannot have come back yet")
            #expect(closed.elementsEqual(Self.payload.prefix(closed.count)), "what did come back is in order")
            let halfClosed = try await Self.onItsOwnThread { try Self.echo(port: port, halfClose: true) }
            #expect(halfClosed == Self.payload)
            #expect(await eventually { server.counters.requests >= 1 })
        }
    }
}
