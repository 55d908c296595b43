import Foundation
import Testing

@testable import Compare

#if canImport(Glibc)
import Glibc
#endif

@Suite struct MachineFloorTests {
    /// The descriptors of this process whose socket has `port` as its local or its peer port. Other suites run in
    /// parallel in this process and hold sockets of their own, so the floor's are told apart by its port.
    private func sockets(onPort port: in_port_t) throws -> [Int32] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").compactMap(Int32.init).filter { fd in
            [getsockname, getpeername].contains { query in
                var address = sockaddr_in()
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                let found = withUnsafeMutablePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { query(fd, $0, &length) == 0 }
                }
                return found && address.sin_family == sa_family_t(AF_INET)
                    && address.sin_port == port  // both in network order
            }
        }
    }

    @Test func measuresPositiveRatesInBoundedTimeAndLeavesNoSocket() throws {
        let clock = ContinuousClock()
        var floor: MachineFloor?
        var port: in_port_t = 0
        let elapsed = try clock.measure {
            floor = try MachineFloor.measure(for: .milliseconds(200), listening: { port = $0 })
        }
        let measured = try #require(floor)
        // Two phases of 200 ms each, plus one untimed operation each; a loaded CI machine gets some slack.
        #expect(elapsed >= .milliseconds(400) && elapsed < .seconds(3))
        #expect(measured.connectionsPerSecond > 100 && measured.requestsPerSecond > 100)
        #expect(abs(measured.connectionMicros * measured.connectionsPerSecond - 1_000_000) < 1e-6)
        #expect(port != 0)
        #expect(try sockets(onPort: port).isEmpty)
    }
}
