/// Synthetic summary rows of a paired run (`bench check --against`): for every subject (models and the driver) and
/// repetition, one row of each build, with figures drawn around chosen centres. Both builds of a pair share the
/// pair's draw of the machine's mood (`drift`), as they do on a real machine, and each adds its own noise.
struct PairedFixture {
    var subjects = ["blocking", "thread-pool", "event-loop", "driver"]
    var repetitions = 8
    var throughput = 30_000.0
    var p99Micros = 6_000.0
    var cpuMicros = 20.0
    /// How much the machine moves from pair to pair (shared by both rows of a pair): uniform in 1 ± drift.
    var drift = 0.3
    /// Each row's own noise: uniform in 1 ± noise.
    var noise = 0.03
    /// Factors applied to the current build's figures of one subject: throughput, p99, CPU.
    var slowdown: [String: (throughput: Double, p99: Double, cpu: Double)] = [:]
    /// Current build's cells that failed, as (subject, repetition); the same for the other build.
    var currentFailures: Set<String> = []
    var againstFailures: Set<String> = []
    /// The other side of each subject's pairs: `against` unless named here (`reference`, or nil for none).
    var counterpart: [String: String?] = [:]
    var seed: UInt64 = 1

    func rows() -> [[String: String]] {
        var random = SplitMix64(seed: seed)
        var rows: [[String: String]] = []
        for repetition in 1...repetitions {
            for subject in subjects {
                let mood = 1 + drift * (2 * random.nextUnit() - 1)
                let other = counterpart[subject] ?? "against"
                for build in ["current"] + (other.map { [$0] } ?? []) {
                    func draw(_ centre: Double) -> String {
                        String(centre * mood * (1 + noise * (2 * random.nextUnit() - 1)))
                    }
                    let unchanged = (throughput: 1.0, p99: 1.0, cpu: 1.0)
                    let factors = build == "current" ? slowdown[subject] ?? unchanged : unchanged
                    let failures = build == "current" ? currentFailures : againstFailures
                    let cpuColumn = subject == "driver" ? "driver_cpu_us_per_request" : "server_cpu_us_per_request"
                    rows.append([
                        "model": subject, "build": build, "repetition": String(repetition),
                        "status": failures.contains("\(subject) \(repetition)") ? "failed: server did not start" : "ok",
                        "conns_per_s": draw(throughput * factors.throughput),
                        "total_p99_us": draw(p99Micros * factors.p99), cpuColumn: draw(cpuMicros * factors.cpu),
                    ])
                }
            }
        }
        return rows
    }
}
