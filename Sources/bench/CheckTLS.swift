import ArgumentParser
import Compare

extension Bench.Check {
    /// The TLS this check measures over: the baseline's, as its `tls` column records it, like every other setting it
    /// holds, so that a baseline written with `--update --tls` is checked over TLS without the flag in CI; or the
    /// command line's `--tls` (with its version, ciphers, groups and resumption), which takes the place of the
    /// baseline's, and the check says so. That is sound for the paired check and `--update`, which measure everything
    /// they compare or record now; `--unpaired`, which compares with the file's figures, refuses `--tls` (`validate`).
    func tlsOptions(over baseline: CheckSettings?) throws -> DriveTLSOptions {
        let recorded = baseline?.tls
        if tls.common.tls {
            let asked = try tls.settings(secure: false)?.driveArguments.joined(separator: " ")
            if baseline != nil && recorded != asked {
                Self.note("over TLS (\(asked ?? "")) as --tls asks; \(self.baseline) was measured "
                    + (recorded.map { "with \($0)" } ?? "in plaintext"))
            }
            return tls
        }
        guard let recorded else { return tls }
        do {
            let options = try DriveTLSOptions.parse(recorded.split(separator: " ").map(String.init))
            _ = try options.settings(secure: false)
            Self.note("over TLS (\(recorded)), as \(self.baseline) was measured")
            return options
        } catch {
            throw Failure(
                message: "\(self.baseline) has '\(recorded)' in its tls column, which bench drive's TLS options do not "
                    + "read (\(DriveTLSOptions.message(for: error))); regenerate it with `bench check --update`",
                code: 2)
        }
    }
}
