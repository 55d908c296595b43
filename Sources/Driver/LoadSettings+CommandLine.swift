extension LoadSettings {
    /// The `bench drive` options that ask for these settings, spelled as every `bench drive` since the first
    /// `bench check` baseline (2d84e64) takes them (the options added since, such as --mix, --idle, --slow,
    /// --reconnect, --arrivals and a changing --rate, appear only when used), so that another build's driver can be
    /// given the same load (`bench check --against` drives a fixed server with both builds' drivers).
    public var driveArguments: [String] {
        func duration(_ micros: Int) -> String { "\(micros)us" }
        var arguments = [
            "--host", host, "--port", String(port), "--clients", String(clients),
            "--protocol", wireProtocol.rawValue, "--duration", duration(durationMicros),
            "--warmup", duration(warmupMicros), "--threads", String(threads), "--processes", String(processes),
            "--connect-timeout", duration(connectTimeoutMicros), "--timeout", duration(timeoutMicros),
            "--source-addresses", String(sourceAddresses),
        ]
        if makesRequests {
            arguments += [
                "--requests", Units.requestsText(requestsPerConnection), "--pipeline", String(pipeline),
                "--size", sizeText,
            ]
        }
        if wireProtocol.traits.requestsByPath {
            arguments += ["--path", path] + fields.flatMap { ["--header", $0] }
            if checksLength == false { arguments += ["--expect-length", "off"] }
        }
        if thinkMicros > 0 { arguments += ["--think", duration(thinkMicros), "--jitter", duration(jitterMicros)] }
        if let rate { arguments += rate.arguments }
        if arrivals != .uniform { arguments += ["--arrivals", arrivals.rawValue] }
        if let connections { arguments += ["--connections", String(connections)] }
        if burst { arguments.append("--burst") }
        if !mix.isEmpty {
            arguments += ["--mix", mix.map {
                "\($0.name)=\(Units.decimal($0.percent))%,requests=\($0.requestsPerConnection),"
                    + "think=\(duration($0.thinkMicros)),jitter=\(duration($0.jitterMicros))"
            }.joined(separator: ";")]
        }
        if idle > 0 { arguments += ["--idle", String(idle)] }
        if let backoff = reconnectBackoffMicros {
            arguments += ["--reconnect", "backoff=\(duration(backoff.lowerBound))..\(duration(backoff.upperBound))"]
        }
        if slow > 0 { arguments += ["--slow", "\(slow):\(slowBytesPerSecond)"] }
        if hostShares > 1 { arguments += ["--share", "\(hostShare + 1)/\(hostShares)"] }
        if let tls { arguments += tls.driveArguments }
        if !keepsTimeline { arguments.append("--no-timeline") }
        return arguments
    }
}
