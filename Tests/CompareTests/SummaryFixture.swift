import Foundation

/// Synthetic summary.csv rows for the check's tests: the columns bench compare writes, with figures drawn
/// around chosen centres by a seeded generator, so every run of the tests sees the same samples.
struct SummaryFixture {
    var protocolName = "greeting"
    var models = ["blocking", "thread-pool", "event-loop"]
    var repetitions = 7
    /// Median throughput (conns/s or req/s), p99 latency (us), CPU per request (us) and floor rate (per s).
    var throughput = 20_000.0
    var p99Micros = 900.0
    var cpuMicros = 40.0
    var floorPerSecond = 50_000.0
    /// Each figure is its centre times a factor uniform in 1 ± `noise`.
    var noise = 0.10
    /// Seeds the generator; two fixtures alike but for the seed are two draws from one distribution.
    var seed: UInt64 = 1
    /// Columns to overwrite in every row, such as a garbled figure or another setting.
    var overrides: [String: String] = [:]

    /// One row per model and repetition, interleaved as bench compare runs them.
    func rows() -> [[String: String]] {
        var random = SplitMix64(seed: seed)
        var rows: [[String: String]] = []
        for repetition in 1...repetitions {
            for model in models {
                func draw(_ centre: Double) -> String {
                    String(centre * (1 + noise * (2 * random.nextUnit() - 1)))
                }
                var row = [
                    "model": model, "protocol": protocolName, "clients": "100", "repetition": String(repetition),
                    "status": "ok", "duration_s": "2", "warmup_s": "0.5", "requests_per_conn": "1",
                    "size_bytes": "16", "pipeline": "1", "think_ms": "0", "rate_per_s": "",
                    "conns_per_s": draw(throughput), "requests_per_s": draw(throughput),
                    "total_p99_us": draw(p99Micros), "server_cpu_us_per_request": draw(cpuMicros),
                    "floor_conns_per_s": draw(floorPerSecond), "floor_requests_per_s": draw(floorPerSecond),
                    "total_p50_us": "12", "host": "ci, shared",
                ]
                row.merge(overrides) { $1 }
                rows.append(row)
            }
        }
        return rows
    }

    /// The rows as CSV text with a header.
    func csv() -> String {
        Self.csv(rows())
    }

    /// `rows` as CSV text with a header, every field quoted (the fixture's host holds a comma).
    static func csv(_ rows: [[String: String]]) -> String {
        let header = rows[0].keys.sorted()
        let quoted = { (field: String) in "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        return ([header.map(quoted)] + rows.map { row in header.map { quoted(row[$0]!) } })
            .map { $0.joined(separator: ",") + "\r\n" }.joined()
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny seeded generator, so the samples are the same on every run.
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A uniform value in [0, 1).
    mutating func nextUnit() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }
}
