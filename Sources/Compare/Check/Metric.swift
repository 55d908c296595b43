import Wire

/// A figure `bench check` compares, and how it is made machine-independent when it comes from a file.
public enum Metric: String, CaseIterable, Sendable {
    /// Connections per second (a protocol whose client sends nothing) or requests per second; higher is better.
    case throughput
    /// `total_p99_us`, the 99th percentile of whole-request latency; lower is better.
    case p99Latency = "p99 latency"
    /// `server_cpu_us_per_request`, the server's user+sys CPU per request; lower is better.
    case serverCPU = "server CPU"
    /// `driver_cpu_us_per_request`, the driver's user+sys CPU per request (the driver pairs); lower is better.
    case driverCPU = "driver CPU"

    /// What is compared for a server model.
    public static let server: [Metric] = [.throughput, .p99Latency, .serverCPU]
    /// What is compared for the driver, which drives a fixed server.
    public static let driver: [Metric] = [.throughput, .p99Latency, .driverCPU]

    /// Whether a larger figure is an improvement.
    public var higherIsBetter: Bool { self == .throughput }

    /// The summary.csv column holding this metric for a run of `wireProtocol`.
    public func column(for wireProtocol: WireProtocol) -> String {
        switch self {
        case .throughput: wireProtocol.traits.clientSends ? "requests_per_s" : "conns_per_s"
        case .p99Latency: "total_p99_us"
        case .serverCPU: "server_cpu_us_per_request"
        case .driverCPU: "driver_cpu_us_per_request"
        }
    }

    /// The figures of a pair of rows (the other build's, this one's) for this metric, when both have them. The driver's
    /// CPU is what its threads measured when both builds' drivers measure themselves; otherwise, so that both are
    /// measured alike, the CPU sampled from outside for both.
    public func figures(against: [String: String], current: [String: String], wireProtocol: WireProtocol)
        -> (against: Double, current: Double)?
    {
        func pair(_ column: String) -> (against: Double, current: Double)? {
            guard let old = against[column].flatMap(Double.init), let new = current[column].flatMap(Double.init),
                old > 0, new > 0
            else { return nil }
            return (old, new)
        }
        if self == .driverCPU { return pair(column(for: wireProtocol)) ?? pair("driver_cpu_sampled_us_per_request") }
        return pair(column(for: wireProtocol))
    }

    /// The unit of the raw figure, for the table people read.
    public func unit(for wireProtocol: WireProtocol) -> String {
        switch self {
        case .throughput: wireProtocol.traits.clientSends ? "req/s" : "conns/s"
        case .p99Latency: "us"
        case .serverCPU, .driverCPU: "us/req"
        }
    }

    /// The machine floor column that normalizes a run of `wireProtocol`: the loopback ceiling of the same
    /// kind of operation (a whole connection for greeting, a round trip for the others).
    public static func floorColumn(for wireProtocol: WireProtocol) -> String {
        wireProtocol.traits.clientSends ? "floor_requests_per_s" : "floor_conns_per_s"
    }

    /// `value` in units of the machine floor measured in the same run: throughput as a fraction of the
    /// floor rate, times (latency, CPU) as multiples of the floor's time per operation. A machine twice as
    /// slow halves both the floor and the figures, so the normalized figure stays put.
    public func normalize(_ value: Double, floorPerSecond: Double) -> Double {
        higherIsBetter ? value / floorPerSecond : value * floorPerSecond / 1_000_000
    }
}
