import Driver
import Metrics

/// summary.csv: one row per cell, with the run's facts, the settings, every count, the rates, the latency
/// percentiles and the server's resource use. Units are in the column names (docs/csv.md).
public enum SummaryCSV {
    static let latencyKinds = ["connect", "first_byte", "total", "uncorrected"]
    static let percentiles = ["p50", "p90", "p99", "p999", "max"]

    public static let columns: [String] =
        [
            "run_utc", "git_commit", "host", "cores", "cpu_model", "cpu_governor", "model", "build", "profile", "protocol",
            "clients", "repetition", "status",
            "duration_s", "warmup_s", "requests_per_conn", "size_bytes", "pipeline", "think_ms", "jitter_ms",
            "rate_per_s", "arrivals", "rate_schedule", "connections_limit", "path", "work", "threads", "processes", "elapsed_s",
            "conns_attempted", "conns_established", "conns_completed", "conns_unfinished", "requests",
            "bytes_sent", "bytes_received",
        ]
        + FailureKind.allCases.map(\.csvColumn)
        + ["failures_server", "failures_local", "conns_per_s", "requests_per_s", "mb_per_s"]
        + latencyKinds.flatMap { kind in percentiles.map { "\(kind)_\($0)_us" } }
        + [
            "schedule_lag_max_us", "server_user_s", "server_sys_s", "server_cpu_us_per_request",
            "server_syscalls_per_request",
            "server_peak_rss_kib", "server_peak_threads", "server_peak_fds", "server_ctx_voluntary",
            "server_ctx_involuntary", "server_connections", "server_requests", "server_protocol_errors",
            "driver_cpu_us_per_request", "driver_cpu_sampled_us_per_request", "steal_pct", "floor_conns_per_s", "floor_requests_per_s",
            "idle_clients", "idle_opened", "idle_dropped", "idle_failed", "idle_held_at_end", "slow_clients",
            "slow_bytes_per_s", "slow_responses", "slow_failures", "slow_total_p50_us", "slow_total_max_us",
            "reconnects", "recovery_ms", "driver_busiest_thread_pct", "driver_loop_lag_p99_us", "driver_loop_lag_max_us",
            "driver_bound", "server_busy_pct", "server_bound", "machine_busy_pct", "bound", "share",
            "tls", "tls_version", "tls_cipher", "tls_group", "tls_key", "tls_full_handshakes", "tls_resumed_handshakes",
            "tls_handshake_p50_us", "tls_handshake_p99_us", "tls_handshake_max_us", "server_tls_handshakes",
            "server_tls_resumed", "server_tls_failures", "server_cpu_us_per_handshake",
        ]

    /// The row of one cell; `facts` are the machine facts of the run (host, cores, git commit).
    public static func row(_ result: CellResult, facts: MachineFacts, runUTC: String) -> [String: String] {
        let settings = result.settings
        let profile = settings.mix.first { $0.name == result.profile }
        // A drive run by a child process brings its own figures; the facts of this run and the cell go over them.
        var row = result.childSummary ?? [:]
        let commit: String = result.commit ?? facts["git_commit"] ?? ""
        let cellFields: [String: String] = [
            "run_utc": runUTC, "git_commit": commit, "host": facts["host"] ?? "", "cores": facts["cores"] ?? "",
            "cpu_model": facts["cpu_model"] ?? "", "cpu_governor": facts["cpu_governor"] ?? "",
            "model": result.cell.model, "build": result.cell.build?.rawValue ?? "", "profile": result.profile ?? "",
        ]
        row.merge(cellFields) { _, ours in ours }
        let settingFields: [String: String] = [
            "protocol": settings.wireProtocol.rawValue, "clients": String(result.cell.clients),
            "repetition": String(result.cell.repetition), "status": result.status,
            "duration_s": decimal(Double(settings.durationMicros) / 1e6, places: 3),
            "warmup_s": decimal(Double(settings.warmupMicros) / 1e6, places: 3),
            "requests_per_conn": Units.requestsText(profile?.requestsPerConnection ?? settings.requestsPerConnection),
            "size_bytes": settings.sizeText,
            "pipeline": String(settings.pipeline),
            "think_ms": decimal(Double(profile?.thinkMicros ?? settings.thinkMicros) / 1e3, places: 3),
            "jitter_ms": decimal(Double(profile?.jitterMicros ?? settings.jitterMicros) / 1e3, places: 3),
            "rate_per_s": settings.rate.map { decimal($0.mean(windowMicros: settings.durationMicros), places: 1) } ?? "",
            "arrivals": settings.isOpenLoop ? settings.arrivals.rawValue : "",
            "rate_schedule": settings.rate.map { if case .constant = $0 { "" } else { $0.arguments.joined(separator: " ") } }
                ?? "",
            "connections_limit": settings.connections.map(String.init) ?? "",
            "path": settings.wireProtocol == .http ? settings.path : "",
            "work": settings.serverWork ?? "",
            "threads": String(settings.threads), "processes": String(settings.processes),
            "share": settings.hostShares > 1 ? "\(settings.hostShare + 1)/\(settings.hostShares)" : "",
            "idle_clients": String(settings.idle), "slow_clients": String(settings.slow),
            "slow_bytes_per_s": settings.slow > 0 ? decimal(settings.slowBytesPerSecond, places: 3) : "",
            "tls": settings.tls.map { $0.driveArguments.joined(separator: " ") } ?? "",
        ]
        row.merge(settingFields) { _, ours in ours }
        if let drive = result.drive { addDriveFigures(drive, to: &row) }
        if let server = result.server {
            row["server_user_s"] = decimal(server.userSeconds, places: 3)
            row["server_sys_s"] = decimal(server.systemSeconds, places: 3)
            row["server_peak_rss_kib"] = server.peakRSSKiB.map(String.init) ?? ""
            row["server_peak_threads"] = server.peakThreads.map(String.init) ?? ""
            row["server_peak_fds"] = server.peakDescriptors.map(String.init) ?? ""
            row["server_ctx_voluntary"] = server.voluntarySwitches.map(String.init) ?? ""
            row["server_ctx_involuntary"] = server.involuntarySwitches.map(String.init) ?? ""
            let counters = server.counters
            row["server_connections"] = counters.map { String($0.connections) } ?? ""
            row["server_requests"] = counters.map { String($0.requests) } ?? ""
            row["server_protocol_errors"] = counters.map { String($0.protocolErrors) } ?? ""
            if settings.tls != nil, let counters {
                row["server_tls_handshakes"] = String(counters.tlsHandshakes)
                row["server_tls_resumed"] = String(counters.tlsResumed)
                row["server_tls_failures"] = String(counters.tlsFailures)
                if counters.tlsHandshakes > 0 {
                    let micros = (server.userSeconds + server.systemSeconds) * 1e6 / Double(counters.tlsHandshakes)
                    row["server_cpu_us_per_handshake"] = decimal(micros, places: 1)
                }
            }
        }
        row["server_cpu_us_per_request"] = result.serverCPUMicrosPerRequest.map { decimal($0, places: 2) } ?? ""
        row["server_syscalls_per_request"] = result.systemCallsPerRequest.map { decimal($0, places: 2) } ?? ""
        row["driver_cpu_us_per_request"] = result.driverCPUMicrosPerRequest.map { decimal($0, places: 2) } ?? ""
        row["driver_cpu_sampled_us_per_request"] =
            result.sampledDriverCPUMicrosPerRequest.map { decimal($0, places: 2) } ?? ""
        row["steal_pct"] = result.stealPercent.map { decimal($0, places: 1) } ?? ""
        if let health = result.driverHealth {
            row["driver_busiest_thread_pct"] = decimal(health.busiestPercent, places: 1)
            row["driver_loop_lag_p99_us"] = String(health.loopLagP99Micros)
            row["driver_loop_lag_max_us"] = String(health.loopLagMaxMicros)
            row["driver_bound"] = health.isBound ? "yes" : "no"
        }
        if let busy = result.serverBusyPercent {
            row["server_busy_pct"] = decimal(busy, places: 1)
            row["server_bound"] = busy >= DriverHealth.busyLimitPercent ? "yes" : "no"
        }
        row["bound"] = result.bound?.rawValue ?? ""
        row["machine_busy_pct"] = result.machineBusyPercent.map { decimal($0, places: 1) } ?? ""
        if let floor = result.floor {
            row["floor_conns_per_s"] = decimal(floor.connectionsPerSecond, places: 1)
            row["floor_requests_per_s"] = decimal(floor.requestsPerSecond, places: 1)
        }
        return row
    }

    private static func addDriveFigures(_ drive: DriveResult, to row: inout [String: String]) {
        let counters = drive.counters
        row["elapsed_s"] = decimal(drive.elapsedSeconds, places: 3)
        row["conns_attempted"] = String(counters.connectionsAttempted)
        row["conns_established"] = String(counters.connectionsEstablished)
        row["conns_completed"] = String(counters.connectionsCompleted)
        row["conns_unfinished"] = String(counters.unfinishedAtEnd)
        row["requests"] = String(counters.requests)
        row["bytes_sent"] = String(counters.bytesSent)
        row["bytes_received"] = String(counters.bytesReceived)
        for kind in FailureKind.allCases { row[kind.csvColumn] = String(counters.failures[kind]) }
        row["failures_server"] = String(counters.failures.serverSide)
        row["failures_local"] = String(counters.failures.driverLocal)
        row["conns_per_s"] = decimal(drive.connectionsPerSecond, places: 1)
        row["requests_per_s"] = decimal(drive.requestsPerSecond, places: 1)
        row["mb_per_s"] = decimal(drive.megabytesPerSecond, places: 3)
        let metrics = drive.metrics
        let histograms = [
            metrics.connectLatency, metrics.firstByteLatency, metrics.totalLatency, metrics.uncorrectedLatency,
        ]
        for (kind, histogram) in zip(latencyKinds, histograms) {
            guard let summary = histogram?.summary else { continue }
            let values = [
                summary.p50Micros, summary.p90Micros, summary.p99Micros, summary.p999Micros, summary.maxMicros,
            ]
            for (percentile, value) in zip(percentiles, values) { row["\(kind)_\(percentile)_us"] = String(value) }
        }
        row["schedule_lag_max_us"] = metrics.scheduleLag.map { String($0.maxMicros) } ?? ""
        if let reconnect = metrics.reconnect {
            row["reconnects"] = String(reconnect.reconnects)
            row["recovery_ms"] = reconnect.recoveryMicros.map { decimal(Double($0) / 1e3, places: 3) } ?? ""
        }
        if let tls = metrics.tls {
            row["tls_version"] = tls.version
            row["tls_cipher"] = tls.cipher
            row["tls_group"] = tls.group
            row["tls_key"] = tls.keyType
            row["tls_full_handshakes"] = String(tls.fullHandshakes)
            row["tls_resumed_handshakes"] = String(tls.resumedHandshakes)
            let summary = tls.handshakeLatency.summary
            row["tls_handshake_p50_us"] = String(summary.p50Micros)
            row["tls_handshake_p99_us"] = String(summary.p99Micros)
            row["tls_handshake_max_us"] = String(summary.maxMicros)
        }
        if let background = metrics.background {
            row["idle_opened"] = String(background.idleOpened)
            row["idle_dropped"] = String(background.idleDropped)
            row["idle_failed"] = String(background.idleFailed)
            row["idle_held_at_end"] = String(background.idleHeldAtEnd)
            row["slow_responses"] = String(background.slowResponses)
            row["slow_failures"] = String(background.slowFailures.total)
            row["slow_total_p50_us"] = String(background.slowLatency.micros(atPercentile: 50))
            row["slow_total_max_us"] = String(background.slowLatency.maxMicros)
        }
    }

    /// `value` with at most `places` decimals and a `.` point, whatever the locale.
    static func decimal(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return "" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
