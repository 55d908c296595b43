import Foundation
import Testing

@testable import Compare

/// `bench check` over TLS through the real executable: this build against itself over a baseline's TLS, against a
/// build older than TLS support, `--update --tls`, and the usage answers. Cells are tiny, as in
/// ``PairedCheckCommandTests``.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct PairedCheckTLSTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paired-tls-\(UUID())").path

    /// A baseline of the blocking model with 8 clients; `tls`: its tls column (empty: plaintext); `seconds`: the
    /// measured window, after 0.1 s of warmup.
    private func writeBaseline(tls: String = "", seconds: String = "0.3") throws -> String {
        let fixture = SummaryFixture(
            models: ["blocking"], repetitions: 2,
            overrides: ["duration_s": seconds, "warmup_s": "0.1", "clients": "8", "tls": tls])
        let path = directory + "-baseline.csv"
        try fixture.csv().write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func summary() throws -> [[String: String]] {
        try CSVReader.parse(String(contentsOfFile: directory + "/summary.csv", encoding: .utf8)).records
    }

    /// A baseline measured over TLS is checked over TLS without --tls: both builds' servers and drivers speak it
    /// (with resumption, as recorded), the driver pairs drive this tree's blocking model over TLS, and an unchanged
    /// build passes. Cells of 0.6 s, as in ``PairedCheckCommandTests``.
    @Test func aBaselineMeasuredOverTLSIsCheckedOverTLSOnBothSides() async throws {
        let baseline = try writeBaseline(tls: "--tls --tls-resume", seconds: "0.6")
        defer { try? FileManager.default.removeItem(atPath: baseline) }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (run, status, stdout, stderr) = try await PairedCheckCommandTests.againstItself(baseline, out: directory)
        #expect(status == 0, "stdout: \(stdout)\nstderr: \(stderr)")
        #expect(stderr.contains("over TLS (--tls --tls-resume), as \(baseline) was measured"), "\(stderr)")
        #expect(stderr.contains("driver pairs: refserver speaks no TLS, so the blocking model of this tree serves"))
        let rows = try summary()
        #expect(rows.count == 20)
        for row in rows {
            let cell = "\(row["model"]!) \(row["build"]!) \(row["repetition"]!)"
            #expect(row["status"] == "ok", "\(cell): \(row["status"]!)")
            #expect(row["tls"] == "--tls --tls-resume", "\(cell)")
            // Both sides' counts of resumed handshakes (each client's full one falls in the warmup): the driver's
            // in the window, the server's over its life.
            for column in ["tls_resumed_handshakes", "server_tls_handshakes", "server_tls_resumed"] {
                #expect(Int(row[column] ?? "") ?? 0 > 0, "\(cell) \(column): \(row[column] ?? "none")")
            }
        }
        let meta = try CSVReader.parse(String(contentsOfFile: directory + "/meta.csv", encoding: .utf8)).records
        #expect(meta.contains { $0["key"] == "fixed_server" && $0["value"] == "blocking model of this tree" })
        #expect(meta.contains { $0["key"] == "tls" && $0["value"] == "on, resumed" })
        #expect(run.serversSeen > 0 && run.serversLeftRunning.isEmpty, "a bench serve was left running")
    }

    /// Against a build older than TLS support, whose serve and drive would refuse --tls: nothing of it is run,
    /// this build's cells run alone, every line says why it is not compared, and the check ends with 2 and what to
    /// do, not with a regression.
    @Test func aBuildWithoutTLSIsNotComparedAndFailsNothing() async throws {
        let baseline = try writeBaseline()
        let old = try BuildWithoutTLS()
        defer {
            try? FileManager.default.removeItem(atPath: baseline)
            try? FileManager.default.removeItem(atPath: directory)
            old.remove()
        }
        let run = try BenchProcess([
            "check", "--baseline", baseline, "--against", old.path, "--models", "blocking", "--tls", "--repeat", "2",
            "--alpha", "0.3", "--out", directory,
        ])
        let (status, stdout, stderr) = try await run.finish(within: 60)
        #expect(status == 2, "stdout: \(stdout)\nstderr: \(stderr)")
        #expect(stderr.contains("over TLS (--tls) as --tls asks; \(baseline) was measured in plaintext"), "\(stderr)")
        #expect(stderr.contains("could run none of this check's work, so nothing was compared: it speaks no TLS; "
            + "check against a revision that does, or drop --tls"), "\(stderr)")
        let lines = stdout.split(separator: "\n").dropFirst()
        #expect(lines.count == 6, "\(stdout)")
        for line in lines {
            let reason =
                line.hasPrefix("driver") ? "the other build's driver speaks no TLS" : "the other build speaks no TLS"
            #expect(line.hasSuffix("not compared (\(reason))"), "\(line)")
        }
        let rows = try summary()
        #expect(rows.count == 4)
        for row in rows {
            #expect(row["build"] == "current" && row["status"] == "ok" && row["tls"] == "--tls", "\(row)")
            #expect(Int(row["tls_full_handshakes"] ?? "") ?? 0 > 0, "\(row["model"]!)")
        }
        #expect(run.serversLeftRunning.isEmpty, "a bench serve was left running")
    }

    /// --update --tls over a plaintext baseline says so and writes a baseline that records its TLS.
    @Test func updateOverTLSRecordsItInTheBaseline() async throws {
        let baseline = try writeBaseline()
        defer { try? FileManager.default.removeItem(atPath: baseline) }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (status, _, stderr) = try await BenchProcess([
            "check", "--baseline", baseline, "--update", "--tls", "--models", "blocking", "--repeat", "2", "--out",
            directory,
        ]).finish(within: 60)
        #expect(status == 0, "\(stderr)")
        #expect(stderr.contains("over TLS (--tls) as --tls asks; \(baseline) was measured in plaintext"), "\(stderr)")
        let written = try Baseline(path: baseline)
        #expect(written.settings.tls == "--tls" && written.settings.models == ["blocking"])
    }

    /// `tls`: the baseline's tls column.
    @Test(arguments: [
        (["--against", BenchProcess.executable.path], "--tls --tls-version 1.4", "in its tls column"),
        (["--unpaired", "--tls"], "", "--unpaired compares with the baseline file's figures"),
        (["--tls-resume"], "", "apply under --tls (or an https:// target): add --tls"),
        (["--tls-version", "1.3"], "", "apply under --tls: add --tls"),
    ])
    func usageProblemsExit2WithASentence(arguments: [String], tls: String, message: String) async throws {
        let baseline = try writeBaseline(tls: tls)
        defer { try? FileManager.default.removeItem(atPath: baseline) }
        let (status, _, stderr) = try await BenchProcess(["check", "--baseline", baseline] + arguments)
            .finish(within: 30)
        #expect(status == 2)
        #expect(stderr.contains(message), "\(stderr)")
    }
}
