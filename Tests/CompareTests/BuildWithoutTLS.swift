import Foundation

/// A `bench` from before TLS support, for `bench check --against`: a script that runs this build's `bench` for
/// everything but `--tls` and its options, which it refuses as unknown (exit 64, as ArgumentParser does), and whose
/// `--help` leaves out every line naming them. A build with every model of this one, then, but no TLS.
struct BuildWithoutTLS {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("bench-without-tls-\(UUID())").path

    init() throws {
        let bench = BenchProcess.executable.path
        let script = """
            #!/bin/sh
            for argument in "$@"; do
                case "$argument" in
                --tls | --tls-*) echo "Error: Unknown option '$argument'" >&2; exit 64 ;;
                --help) "\(bench)" "$@" | grep -v -e --tls; exit 0 ;;
                esac
            done
            exec "\(bench)" "$@"

            """
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
