extension TLSSettings {
    /// The `bench serve` arguments that ask for these settings: how a prefork server gives them to its workers, and
    /// how `bench compare` gives them to the servers it starts.
    public var serveArguments: [String] {
        var arguments = sharedArguments
        if !resume { arguments.append("--no-resume") }
        if let certificateFile, let keyFile { arguments += ["--cert", certificateFile, "--key", keyFile] }
        if let ticketKey { arguments += ["--tls-ticket-key", Self.hex(ticketKey)] }
        return arguments
    }

    /// The `bench drive` options that ask for these settings: how `bench check --against` gives them to another
    /// build's driver, and how summary.csv's `tls` column records them.
    public var driveArguments: [String] {
        var arguments = sharedArguments
        if resume { arguments.append("--tls-resume") }
        if let serverName { arguments += ["--sni", serverName] }
        if let caFile { arguments += ["--ca", caFile] }
        return arguments
    }

    /// The options both sides spell alike: TLS on, and the version, ciphers and groups.
    private var sharedArguments: [String] {
        var arguments = ["--tls"]
        if let version { arguments += ["--tls-version", version.rawValue] }
        if let ciphers { arguments += ["--ciphers", ciphers] }
        if let groups { arguments += ["--groups", groups] }
        return arguments
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
    }

    /// The bytes of a hex string, nil when it is not one.
    public static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = UInt8(String(decoding: digits[index...index], as: UTF8.self), radix: 16),
                let low = UInt8(String(decoding: digits[index + 1...index + 1], as: UTF8.self), radix: 16)
            else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }
}
