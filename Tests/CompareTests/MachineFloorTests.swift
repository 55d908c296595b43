import Foundation
import Testing

@testable import Compare

@Suite struct MachineFloorTests {
    /// The sockets this process holds open. Sockets, not all descriptors: other suites run in parallel and
    /// open files, but only the floor opens sockets.
    private func openSockets() throws -> Set<String> {
        let fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")
        return Set(fds.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)") }
            .filter { $0.hasPrefix("socket:") })
    }

    @Test func measuresPositiveRatesInBoundedTimeAndLeavesNoSocket() throws {
        let before = try openSockets()
        let clock = ContinuousClock()
        var floor: MachineFloor?
        let elapsed = try clock.measure { floor = try MachineFloor.measure(for: .milliseconds(200)) }
        let measured = try #require(floor)
        // Two phases of 200 ms each, plus one untimed operation each; a loaded CI machine gets some slack.
        #expect(elapsed >= .milliseconds(400) && elapsed < .seconds(3))
        #expect(measured.connectionsPerSecond > 100 && measured.requestsPerSecond > 100)
        // A round trip on an open connection is cheaper than opening and closing a whole connection.
        #expect(measured.requestsPerSecond > measured.connectionsPerSecond)
        #expect(abs(measured.connectionMicros * measured.connectionsPerSecond - 1_000_000) < 1e-6)
        #expect(try openSockets().isSubset(of: before))
    }
}
