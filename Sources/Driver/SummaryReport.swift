import Foundation
import Metrics
import SystemCalls
import TLS

/// Renders a ``DriveResult`` as the wrk-like text `bench drive` prints; `bench compare` reuses it per run.
public enum SummaryReport {
    /// The whole summary, several lines ending in a newline.
    public static func render(_ result: DriveResult) -> String {
        let settings = result.settings
        let counters = result.counters
        var lines: [String] = []
        let target = SocketAddress(numericHost: settings.host, port: settings.port)?.description
            ?? "\(settings.host):\(settings.port)"
        lines.append("\(headline(settings)) @ \(target) (\(settings.wireProtocol.rawValue))")
        let share = settings.hostShares > 1 ? " (share \(settings.hostShare + 1)/\(settings.hostShares) here)" : ""
        lines.append("  \(settings.threads) threads x \(settings.processes) processes, \(settings.clients) clients"
            + "\(share), " + shape(settings))
        lines.append("  Latency".padding(toLength: 24, withPad: " ", startingAt: 0)
            + ["p50", "p90", "p99", "p99.9", "max"].map { pad($0) }.joined())
        let metrics = result.metrics
        lines.append(latencyLine("connect", metrics.connectLatency))
        if let tls = metrics.tls { lines.append(latencyLine("tls handshake", tls.handshakeLatency)) }
        lines.append(latencyLine("first byte", metrics.firstByteLatency))
        lines.append(latencyLine(settings.isOpenLoop ? "total (corrected)" : "total", metrics.totalLatency))
        for (share, histogram) in zip(settings.sizeMix, metrics.sizeLatency) {
            lines.append(latencyLine("  n=\(share.sizeText) (\(Units.decimal(share.percent))%)", histogram))
        }
        if let uncorrected = metrics.uncorrectedLatency {
            lines.append(latencyLine("total (uncorrected)", uncorrected))
        }
        if let lag = metrics.scheduleLag {
            lines.append("  Behind schedule: p50 \(format(micros: lag.micros(atPercentile: 50))), "
                + "p99 \(format(micros: lag.micros(atPercentile: 99))), max \(format(micros: lag.maxMicros))")
        }
        if let gaps = metrics.arrivalGaps, gaps.count > 0 {
            lines.append("  Arrivals (\(settings.arrivals.rawValue)): a client's gaps average "
                + "\(format(micros: UInt64(gaps.summary.meanMicros))), coefficient of variation "
                + String(format: "%.2f", gaps.coefficientOfVariation))
        }
        lines.append("  \(counters.connectionsAttempted.grouped) connections attempted, "
            + "\(counters.connectionsEstablished.grouped) established, \(counters.connectionsCompleted.grouped) "
            + "completed; \(counters.requests.grouped) requests in \(String(format: "%.2f", result.elapsedSeconds))s, "
            + "\(String(format: "%.2f", Double(counters.bytesReceived) / 1e6))MB read")
        lines.append("  Server failures: \(counters.failures.serverSide.grouped)" + breakdown(counters.failures))
        lines.append("  Driver-local failures (the driver's limit, not the server's): "
            + counters.failures.driverLocal.grouped)
        for (profile, part) in zip(settings.mix, metrics.profiles) {
            lines.append(latencyLine("  \(profile.name) (\(Units.decimal(profile.percent))%)", part.totalLatency)
                + "  \(part.counters.requests.grouped) requests, \(part.counters.failures.total.grouped) failures")
        }
        if let tls = metrics.tls { lines += tlsLines(tls, settings) }
        if let background = metrics.background { lines += backgroundLines(background, settings) }
        if let reconnect = metrics.reconnect, let backoff = settings.reconnectBackoffMicros {
            let recovery = reconnect.recoveryMicros.map { "back to full load \(format(micros: $0)) after the server returned" }
                ?? (reconnect.waitingAtEnd > 0
                    ? "\(reconnect.waitingAtEnd.grouped) clients still waiting when the run ended" : "no outage")
            lines.append("  Reconnects (backoff \(format(micros: UInt64(backoff.lowerBound))).."
                + "\(format(micros: UInt64(backoff.upperBound)))): \(reconnect.reconnects.grouped); " + recovery)
        }
        if counters.unfinishedAtEnd > 0 {
            lines.append("  Still open when the run ended (no verdict): \(counters.unfinishedAtEnd.grouped)")
        }
        lines += healthLines(DriverHealth(result))
        if result.interrupted { lines.append("  Interrupted: figures cover the run up to Ctrl-C") }
        lines.append("Connections/sec: \(String(format: "%10.2f", result.connectionsPerSecond))")
        lines.append("Requests/sec:    \(String(format: "%10.2f", result.requestsPerSecond))")
        lines.append("Transfer/sec:    \(String(format: "%10.2f", result.megabytesPerSecond))MB")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The idle and slow clients, apart from the measured figures above.
    private static func backgroundLines(_ background: BackgroundClients, _ settings: LoadSettings) -> [String] {
        var lines: [String] = []
        if settings.idle > 0 {
            lines.append("  Idle clients (\(settings.idle.grouped), silent): \(background.idleOpened.grouped) connections "
                + "opened, \(background.idleDropped.grouped) dropped by the server in the window, "
                + "\(background.idleFailed.grouped) failed to open, \(background.idleHeldAtEnd.grouped) held at the end")
        }
        if settings.slow > 0 {
            let latency = background.slowLatency.summary
            lines.append("  Slow clients (\(settings.slow.grouped) at \(Units.decimal(settings.slowBytesPerSecond)) B/s): "
                + "\(background.slowResponses.grouped) responses, p50 \(format(micros: latency.p50Micros)), max "
                + "\(format(micros: latency.maxMicros)); failures \(background.slowFailures.total.grouped)"
                + breakdown(background.slowFailures))
        }
        return lines
    }

    /// Each driver thread's share of the window and the loop lag; then, when they say so, that the driver was the limit.
    private static func healthLines(_ health: DriverHealth) -> [String] {
        let threads = health.threadBusyPercent.map { "\(Int($0.rounded()))%" }.joined(separator: " ")
        let line = "  Driver: threads busy \(threads) of the window, loop lag p99 "
            + "\(format(micros: health.loopLagP99Micros)), max \(format(micros: health.loopLagMaxMicros))"
        guard health.isBound else { return [line] }
        return [line, "  DRIVER-BOUND (\(health.reasons.joined(separator: ", "))): these figures measure the driver"]
    }

    private static func headline(_ settings: LoadSettings) -> String {
        if let total = settings.connections { return "Running \(total.grouped) connections" }
        return "Running \(format(micros: UInt64(settings.durationMicros))) test (warmup "
            + "\(format(micros: UInt64(settings.warmupMicros))))"
    }

    private static func shape(_ settings: LoadSettings) -> String {
        if let rate = settings.rate {
            let unit = settings.ratePacesConnections ? "connections" : "requests"
            return "open loop \(rateText(rate)) \(unit)/s" + (settings.arrivals == .poisson ? ", Poisson arrivals" : "")
        }
        guard settings.makesRequests else { return "closed loop" }
        if settings.wireProtocol.traits.streamsExchange {
            return "closed loop, one \(settings.wireProtocol) of \(settings.sizeText) B per connection"
        }
        let size = settings.sizeText
        let what =
            !settings.wireProtocol.traits.requestsByPath ? "\(size) B requests"
            : settings.httpTemplate.asksSize ? "GET \(settings.path), n = \(size)" : "GET \(settings.path)"
        if !settings.mix.isEmpty {
            let kinds = settings.mix.map { "\($0.name) \(Units.decimal($0.percent))%" }.joined(separator: ", ")
            return "closed loop, client mix (\(kinds)) of \(what), pipeline \(settings.pipeline)"
        }
        if settings.requestsPerConnection == LoadSettings.unlimitedRequests {
            return "closed loop, \(what) on connections kept alive (--requests unlimited, as wrk), pipeline "
                + "\(settings.pipeline)"
        }
        return "closed loop, \(settings.requestsPerConnection) x \(what) per connection, pipeline \(settings.pipeline)"
    }

    private static func rateText(_ rate: OfferedRate) -> String {
        switch rate {
        case .constant(let rate): "at \(Int(rate).grouped)"
        case .ramp(let from, let to): "ramping from \(Int(from).grouped) to \(Int(to).grouped)"
        case .steps(let rates, let step):
            "in steps of \(format(micros: UInt64(step))) at \(rates.map { Int($0).grouped }.joined(separator: ", "))"
        }
    }

    private static func breakdown(_ failures: FailureCounts) -> String {
        let kinds = FailureKind.allCases.filter { $0.isServerSide && failures[$0] > 0 }
        guard !kinds.isEmpty else { return "" }
        return " (" + kinds.map { "\($0.label) \(failures[$0].grouped)" }.joined(separator: ", ") + ")"
    }

    private static func latencyLine(_ name: String, _ histogram: LatencyHistogram) -> String {
        let summary = histogram.summary
        let values = [summary.p50Micros, summary.p90Micros, summary.p99Micros, summary.p999Micros, summary.maxMicros]
        return "    \(name)".padding(toLength: 24, withPad: " ", startingAt: 0)
            + values.map { pad(format(micros: $0)) }.joined()
    }

    private static func pad(_ text: String) -> String {
        String(repeating: " ", count: max(0, 10 - text.count)) + text
    }

    /// 850 µs as "850us", 1,250 µs as "1.25ms", 2,000,000 µs as "2.00s", as wrk prints durations.
    public static func format(micros: UInt64) -> String {
        if micros < 1_000 { return "\(micros)us" }
        if micros < 1_000_000 { return String(format: "%.2fms", Double(micros) / 1e3) }
        return String(format: "%.2fs", Double(micros) / 1e6)
    }

    /// What TLS agreed on and how the handshakes went; a run asked to resume whose handshakes were full says so in
    /// capitals, since resumption that silently does not happen has misled load tools' users before.
    static func tlsLines(_ tls: TLSFigures, _ settings: LoadSettings) -> [String] {
        let agreed = tls.version.isEmpty
            ? "no handshake finished"
            : "\(tls.version) \(tls.cipher), group \(tls.group), server key \(tls.keyType)"
        var lines = ["  TLS: \(agreed) (\(TLSContext.library))"]
        var handshakes = "  TLS handshakes: \(tls.fullHandshakes.grouped) full, \(tls.resumedHandshakes.grouped) resumed"
        if let failure = tls.lastFailure { handshakes += "; last failure: \(failure)" }
        lines.append(handshakes)
        if settings.tls?.resume == true {
            let refused = tls.resumptionsOffered - tls.resumedHandshakes
            // A client's first handshake is full; more full ones than clients, none offered, means no session came.
            if tls.fullHandshakes > settings.clients && tls.resumptionsOffered == 0 {
                lines.append("  NOT RESUMED: --tls-resume, but the server gave no session to resume: every handshake was full")
            } else if refused > 0 {
                lines.append("  NOT RESUMED: the server refused \(refused.grouped) of \(tls.resumptionsOffered.grouped) sessions "
                    + "offered: those handshakes were full")
            }
        }
        return lines
    }
}
