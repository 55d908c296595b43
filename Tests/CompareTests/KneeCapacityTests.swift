import Driver
import Foundation
import SystemCalls
import Testing
import Wire

@testable import Compare

#if canImport(Glibc)
import Glibc
#endif

/// `bench knee` against a server whose capacity is known because it is built in: one that answers greeting
/// connections at most `rate` times a second.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct KneeCapacityTests {
    /// A greeting server on one thread that accepts a connection, waits for its slot (one every 1/rate s, never
    /// two at once), sends the frame and closes: clients beyond the rate wait in the listen queue. A thread that woke
    /// late while clients were queued (on two cores shared with the other suites, a sleep can overshoot by
    /// milliseconds) catches up on up to 50 slots, so that its capacity over a window is the rate whatever the
    /// wake-ups cost. Time spent with no client waiting earns nothing: a bucket that filled between steps served
    /// 50 clients at once at the start of the next, and let a window 11% past the capacity pass.
    final class RateCappedServer: Sendable {
        let port: Int
        private let listener: Int32
        private let thread: PosixThread

        init(rate: Double) throws {
            let (fd, port) = try LoopbackSocket.listen(backlog: 4096)
            (listener, self.port) = (fd, Int(UInt16(bigEndian: port)))
            let slot = 1 / rate
            thread = try PosixThread.spawn(name: "test-capped") { [fd] in
                var random = WyRand()
                let frame = UnsafeMutableRawBufferPointer.allocate(byteCount: Greeting.frameLength, alignment: 8)
                defer { frame.deallocate() }
                var next = MonotonicClock.seconds()
                while true {
                    var queue = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    let wasIdle = poll(&queue, 1, 0) == 0
                    guard let client = try? LoopbackSocket.accept(fd) else { break }
                    let now = MonotonicClock.seconds()
                    next = wasIdle ? max(next + slot, now) : max(next + slot, now - 50 * slot)
                    // A sleep a signal cuts short must be slept again, or the server serves early, and every client
                    // after it too, as each slot follows the last: past its cap.
                    while case let wait = next - MonotonicClock.seconds(), wait > 0 { usleep(UInt32(wait * 1e6)) }
                    Greeting.write(into: frame, using: &random)
                    try? LoopbackSocket.write(client, UnsafeRawBufferPointer(frame))
                    close(client)
                }
            }
        }

        func stop() {
            shutdown(listener, Int32(SHUT_RDWR))  // wakes the blocked accept, which then fails
            thread.join()
            close(listener)
        }
    }

    // A small capacity and a loose objective: on two cores shared with the other suites, a driver or server thread
    // may wait tens of milliseconds for a core, while a load 10% past the capacity queues 50 clients in a second,
    // 100 ms of waiting.
    @Test func findsAKnownCapacityWithinTenPercent() async throws {
        let capacity = 500.0
        let server = try RateCappedServer(rate: capacity)
        defer { server.stop() }
        var load = LoadSettings()
        load.port = server.port
        (load.clients, load.threads) = (10, 1)
        (load.durationMicros, load.warmupMicros) = (1_000_000, 300_000)
        let compare = CompareSettings(
            models: [], clients: [10], repetitions: 1, load: load, serverArguments: [], pin: false)
        let settings = KneeSettings(
            compare: compare, objective: LatencyObjective(percentile: 99, micros: 50_000), startRate: 100,
            maxWindowMicros: 2_000_000, tolerance: 0.1, external: true)
        let (steps, capacities, _) = try await KneeRun(settings: settings, executable: "").run { _, _ in }
        let found = try #require(capacities.first?.capacityPerSecond, "\(steps.map(\.verdict))")
        let trail = steps.map {
            "\(Int($0.offered)) \($0.verdict.rawValue) (achieved \(Int($0.achieved)), "
                + "\($0.result.drive.map { "\($0.counters.connectionsCompleted) in \($0.elapsedMicros) us" } ?? "-"))"
        }.joined(separator: ", ")
        #expect(abs(found - capacity) <= 0.1 * capacity, "found \(found)/s for \(capacity)/s: \(trail)")
        // Passing and failing steps both ran, and each was a window of its own.
        #expect(steps.contains { $0.verdict == .pass } && steps.contains { $0.verdict != .pass })
        #expect(steps.allSatisfy { $0.result.drive.map { $0.elapsedMicros >= 1_000_000 } ?? false })
    }
}
