import Metrics
import Servers

/// The tables `bench compare` prints at the end, each line a (model, clients): what the clients saw (medians over
/// the cells that finished, failures summed over all of them, which side limited), with the machine floor first;
/// then what the server spent doing it. Two tables of 120 columns at most rather than one too wide for a terminal.
public enum ComparisonTable {
    static let clientHeader = [
        "model", "clients", "ok/runs", "conn/s", "req/s", "p50 ms", "p99 ms", "p99.9 ms", "bound", "failures (sum)",
    ]
    static let serverHeader = ["server", "clients", "CPU us/req", "RSS MiB", "threads", "ctx sw/req", "syscalls/req"]

    public static func render(_ results: [CellResult]) -> String {
        var clients = [clientHeader]
        if let floor = results.compactMap({ $0.floor?.connectionsPerSecond }).median,
            let round = results.compactMap({ $0.floor?.requestsPerSecond }).median
        {
            clients.append(["machine floor", "1", "-", number(floor), number(round), "-", "-", "-", "-", "-"])
        }
        var servers = [serverHeader]
        for group in groups(results) {
            clients.append(clientRow(group, name: group[0].cell.model))
            servers.append(serverRow(group))
            // A client mix: each profile's line below its cell's, the server's figures being the whole run's.
            let profiles = group.map(\.profiles)
            for (index, profile) in group[0].settings.mix.enumerated() {
                let parts = profiles.compactMap { $0.indices.contains(index) ? $0[index] : nil }
                if !parts.isEmpty { clients.append(clientRow(parts, name: "  " + profile.name)) }
            }
        }
        return align(clients, left: [0, 1, 8, 9]) + "\n" + align(servers, left: [0, 1]) + machineLines(results)
            + backgroundLines(results)
    }

    /// Under the tables, for the client counts at which the machine was the limit (``CellResult/Bound/machine``):
    /// the models ranked by what does not depend on who waited for a core, the server's CPU per request.
    static func machineLines(_ results: [CellResult]) -> String {
        let byClients = Dictionary(grouping: groups(results)) { $0[0].cell.clients }
        var lines: [String] = []
        for clients in byClients.keys.sorted() {
            let groups = byClients[clients]!
            guard groups.contains(where: { verdict($0).hasPrefix(CellResult.Bound.machine.rawValue) }) else { continue }
            let ranked = groups.compactMap { group in
                group.filter { $0.failure == nil }.compactMap(\.serverCPUMicrosPerRequest).median.map {
                    (model: group[0].cell.model, micros: $0)
                }
            }.sorted { $0.micros < $1.micros }
            guard !ranked.isEmpty else { continue }
            let order = ranked.map { "\($0.model) \(SummaryCSV.decimal($0.micros, places: 1))" }
            lines += wrapped("  \(clients) clients: ", order, separator: " < ")
        }
        guard !lines.isEmpty else { return "" }
        return "bound \"machine\": driver and server together kept every core busy, so their rates say how they shared "
            + "the cores;\nthe server's CPU per request (us) does not depend on who waited, and ranks them:\n"
            + lines.joined(separator: "\n") + "\n"
    }

    /// `parts` after `lead`, joined by `separator`, in lines of at most 120 columns, the later ones indented.
    static func wrapped(_ lead: String, _ parts: [String], separator: String) -> [String] {
        var lines = [lead]
        for (index, part) in parts.enumerated() {
            let piece = (index == 0 ? "" : separator) + part
            if lines[lines.count - 1].count + piece.count > 120 {
                lines.append(String(repeating: " ", count: lead.count) + part)
            } else {
                lines[lines.count - 1] += piece
            }
        }
        return lines
    }

    /// Under the table, for a run with idle or slow clients beside the measured ones: what became of them in each
    /// group (medians), which the measured figures above do not include.
    static func backgroundLines(_ results: [CellResult]) -> String {
        guard let settings = results.first?.settings, settings.hasBackground else { return "" }
        var lines: [String] = []
        for group in groups(results) {
            let figures = group.compactMap { $0.drive?.metrics.background }
            guard !figures.isEmpty else { continue }
            func median(_ value: (BackgroundClients) -> Int) -> String { number(figures.map { Double(value($0)) }.median) }
            var parts: [String] = []
            if settings.idle > 0 {
                parts.append("idle \(median(\.idleHeldAtEnd)) of \(settings.idle) held at the end, "
                    + "\(median(\.idleDropped)) dropped by the server")
            }
            if settings.slow > 0 {
                parts.append("slow \(median(\.slowResponses)) responses, \(median { $0.slowFailures.total }) failures")
            }
            lines.append("  \(group[0].cell.model) x \(group[0].cell.clients): " + parts.joined(separator: "; "))
        }
        return "Beside the measured clients:\n" + lines.joined(separator: "\n") + "\n"
    }

    /// The clients' line of one group: medians over its finished cells.
    private static func clientRow(_ group: [CellResult], name: String) -> [String] {
        let ok = group.filter { $0.failure == nil }
        let drives = ok.compactMap(\.drive)
        func latency(_ percentile: Double) -> String {
            millis(drives.map { Double($0.metrics.totalLatency.micros(atPercentile: percentile)) }.median)
        }
        return [
            name, String(group[0].cell.clients), "\(ok.count)/\(group.count)",
            number(drives.map(\.connectionsPerSecond).median), number(drives.map(\.requestsPerSecond).median),
            latency(50), latency(99), latency(99.9),
            group.allSatisfy(\.skipped) ? group[0].status : verdict(ok), failures(group),
        ]
    }

    /// The server's line of one group: medians over its finished cells.
    private static func serverRow(_ group: [CellResult]) -> [String] {
        let ok = group.filter { $0.failure == nil }
        return [
            group[0].cell.model, String(group[0].cell.clients),
            ok.compactMap(\.serverCPUMicrosPerRequest).median.map { SummaryCSV.decimal($0, places: 1) } ?? "-",
            ok.compactMap { $0.server?.peakRSSKiB.map { Double($0) / 1024 } }.median.map {
                SummaryCSV.decimal($0, places: 1)
            } ?? "-",
            number(ok.compactMap { $0.server?.peakThreads.map(Double.init) }.median),
            ok.compactMap(\.contextSwitchesPerRequest).median.map { SummaryCSV.decimal($0, places: 2) } ?? "-",
            ok.compactMap(\.systemCallsPerRequest).median.map { SummaryCSV.decimal($0, places: 2) } ?? "-",
        ]
    }

    /// Which side limited the group's runs (``CellResult/bound``): the verdict most runs gave, with how many gave it
    /// when not all did ("driver 2/3"); "-" when none could be judged.
    static func verdict(_ group: [CellResult]) -> String {
        let verdicts = group.compactMap(\.bound?.rawValue)
        let counts = Dictionary(verdicts.map { ($0, 1) }, uniquingKeysWith: +)
        guard let (verdict, count) = counts.max(by: { ($0.value, $1.key) < ($1.value, $0.key) }) else { return "-" }
        return count == group.count ? verdict : "\(verdict) \(count)/\(group.count)"
    }

    /// Results grouped by (model, clients), in the order the groups first appear.
    static func groups(_ results: [CellResult]) -> [[CellResult]] {
        var order: [String] = []
        var groups: [String: [CellResult]] = [:]
        for result in results {
            let key = "\(result.cell.model) \(result.cell.clients)"
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(result)
        }
        return order.map { groups[$0]! }.sorted {
            ($0[0].cell.clients, rank($0[0].cell.model), $0[0].cell.model)
                < ($1[0].cell.clients, rank($1[0].cell.model), $1[0].cell.model)
        }
    }

    /// The registry's order; a name outside it (the driver pairs of `bench check`) after every model.
    private static func rank(_ model: String) -> Int {
        ServerModel(rawValue: model)?.position ?? ServerModel.allCases.count + 1
    }

    /// `none`, or each kind seen with its count over every cell of the group: `reset 12, read timeout 3`.
    static func failures(_ group: [CellResult]) -> String {
        var counts = FailureCounts()
        for drive in group.compactMap(\.drive) { counts.merge(drive.counters.failures) }
        let seen = FailureKind.allCases.filter { counts[$0] > 0 }.map { "\($0.label) \(counts[$0])" }
        return seen.isEmpty ? "none" : seen.joined(separator: ", ")
    }

    static func number(_ value: Double?) -> String {
        value.map { String(Int($0.rounded())) } ?? "-"
    }

    static func millis(_ micros: Double?) -> String {
        micros.map { SummaryCSV.decimal($0 / 1000, places: 2) } ?? "-"
    }

    /// Columns padded to their widest cell, text (the `left` columns) left and figures right.
    static func align(_ lines: [[String]], left: Set<Int>) -> String {
        let widths = lines[0].indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
        return lines.map { line in
            line.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return left.contains(column) ? cell + pad : pad + cell
            }.joined(separator: "  ").replacing(/\ +$/, with: "")
        }.joined(separator: "\n") + "\n"
    }
}
