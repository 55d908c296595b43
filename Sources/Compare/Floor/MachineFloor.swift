import Glibc
import SystemCalls

/// The loopback floor of this machine: how fast one thread can do, with plain blocking sockets and no server
/// model at all, the two operations the harness measures. No model can beat it, so `bench compare` prints it
/// as the "machine floor" row and `bench check` divides by it, to tell a slower model from a slower machine.
///
/// Benchmarks/LoopbackFloor measures the same two operations with Google Benchmark in C++; this one runs
/// in-process, in the same run as the models.
public struct MachineFloor: Sendable, Equatable {
    /// Whole connections per second: socket, connect, accept, write 81 bytes, read them, close both.
    public let connectionsPerSecond: Double
    /// Request round trips per second on one connection: write 4 bytes, read them, answer 16, read 16.
    public let requestsPerSecond: Double

    /// Microseconds per connection lifecycle.
    public var connectionMicros: Double { 1_000_000 / connectionsPerSecond }
    /// Microseconds per request round trip.
    public var requestMicros: Double { 1_000_000 / requestsPerSecond }

    /// The size of a greeting, the response of one connection in the greeting protocol.
    static let greetingBytes = 81
    /// The response size of the floor's request, the smallest the benchmarks use by default.
    static let responseBytes = 16

    /// A floor with the given rates, as read back from summary.csv.
    public init(connectionsPerSecond: Double, requestsPerSecond: Double) {
        self.connectionsPerSecond = connectionsPerSecond
        self.requestsPerSecond = requestsPerSecond
    }

    /// Measures both rates on 127.0.0.1, each for about `duration`, on the calling thread (which blocks).
    /// Every socket it opens is closed before it returns, on error too.
    /// - Throws: `SocketError` when a socket call fails.
    public static func measure(for duration: Duration = .milliseconds(500)) throws -> MachineFloor {
        try measure(for: duration, listening: { _ in })
    }

    /// As ``measure(for:)``, telling `listening` the port of its listener (tests find its sockets by it).
    static func measure(for duration: Duration, listening: (in_port_t) -> Void) throws -> MachineFloor {
        let (listener, port) = try LoopbackSocket.listen()
        defer { close(listener) }
        listening(port)
        return MachineFloor(
            connectionsPerSecond: try connectionRate(listener: listener, port: port, duration: duration),
            requestsPerSecond: try requestRate(listener: listener, port: port, duration: duration))
    }

    /// Connections per second, each as the greeting protocol has it.
    private static func connectionRate(listener: Int32, port: in_port_t, duration: Duration) throws -> Double {
        let greeting = [UInt8](repeating: 0x2a, count: greetingBytes)
        var received = [UInt8](repeating: 0, count: greetingBytes)
        return try rate(for: duration) {
            let client = try LoopbackSocket.connect(port: port)
            defer { close(client) }
            let server = try LoopbackSocket.accept(listener)
            do {
                try greeting.withUnsafeBytes { bytes in try LoopbackSocket.write(server, bytes) }
            } catch {
                close(server)
                throw error
            }
            // The server closes first, as the greeting server does; TIME_WAIT then stays with the server's
            // side of the connection and does not use up the client's ephemeral ports in this tight loop.
            close(server)
            try received.withUnsafeMutableBytes { buffer in try LoopbackSocket.read(client, into: buffer) }
        }
    }

    /// Round trips per second on one connection.
    private static func requestRate(listener: Int32, port: in_port_t, duration: Duration) throws -> Double {
        let client = try LoopbackSocket.connect(port: port)
        defer { close(client) }
        let server = try LoopbackSocket.accept(listener)
        defer { close(server) }
        // TCP_NODELAY on both ends, as the servers set it on their connections (the driver does not): requests and
        // answers are single small segments, which Nagle's algorithm may hold back waiting for an acknowledgement.
        var on: Int32 = 1
        for fd in [client, server] {
            guard setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size)) == 0
            else { throw SocketError("setsockopt TCP_NODELAY") }
        }
        let request = UInt32(responseBytes).bigEndian
        var header = UInt32(0)
        var response = [UInt8](repeating: 0x2a, count: responseBytes)
        return try rate(for: duration) {
            try withUnsafeBytes(of: request) { bytes in try LoopbackSocket.write(client, bytes) }
            try withUnsafeMutableBytes(of: &header) { buffer in try LoopbackSocket.read(server, into: buffer) }
            guard Int(UInt32(bigEndian: header)) == responseBytes else {
                throw SocketError("read (bad header)", errno: EPROTO)
            }
            try response.withUnsafeBytes { bytes in try LoopbackSocket.write(server, bytes) }
            try response.withUnsafeMutableBytes { buffer in try LoopbackSocket.read(client, into: buffer) }
        }
    }

    /// Runs `operation` once untimed (first-use costs: page faults, route lookup), then repeatedly for
    /// `duration`; returns operations per second.
    private static func rate(for duration: Duration, _ operation: () throws -> Void) throws -> Double {
        try operation()
        let clock = ContinuousClock()
        let start = clock.now
        var count = 0
        var elapsed = Duration.zero
        while elapsed < duration {
            try operation()
            count += 1
            elapsed = clock.now - start
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return Double(count) / seconds
    }
}
