/// The figures of the live status line: totals so far over this process's workers.
public struct LiveStatus: Sendable, Equatable {
    public var secondsSinceStart: Double
    public var warmupSeconds: Double
    public var requests: Int
    public var connections: Int
    public var failures: Int
    public var open: Int

    init(_ live: [LiveCounters], secondsSinceStart: Double, settings: LoadSettings) {
        self.secondsSinceStart = secondsSinceStart
        warmupSeconds = settings.isCountMode ? 0 : Double(settings.warmupMicros) / 1e6
        requests = live.reduce(0) { $0 + $1.requests.load(ordering: .relaxed) }
        connections = live.reduce(0) { $0 + $1.connections.load(ordering: .relaxed) }
        failures = live.reduce(0) { $0 + $1.failures.load(ordering: .relaxed) }
        open = live.reduce(0) { $0 + $1.open.load(ordering: .relaxed) }
    }

    /// One line for a terminal, e.g. `[4s] 181,204 requests  180,990 connections  0 failures  1000 open`.
    public var line: String {
        let phase = secondsSinceStart < warmupSeconds ? " warmup" : ""
        return "[\(Int(secondsSinceStart))s\(phase)] \(requests.grouped) requests  \(connections.grouped) connections  "
            + "\(failures.grouped) failures  \(open.grouped) open"
    }
}

extension Int {
    /// 1234567 as "1,234,567", for figures a person reads.
    var grouped: String {
        let digits = String(magnitude)
        var out = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return self < 0 ? "-" + out : out
    }
}
