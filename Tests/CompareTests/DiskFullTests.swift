import Foundation
import SystemCalls
import Testing

@testable import Compare

/// The results disk full (ENOSPC), on a real one: a tmpfs of 4 MiB mounted for the test (root only) and unmounted
/// after. A clear message naming the file, whole files, nothing half written.
@Suite(.serialized, .timeLimit(.minutes(2)), .enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
struct DiskFullTests {
    /// Several files written as one: when the disk fills up at the second, the first is not replaced either, no
    /// temporary file is left, and the error names the file and what to do.
    @Test func filesWrittenAsOneAreAllOrNothingWhenTheDiskIsFull() throws {
        let disk = try TinyDisk()
        defer { disk.remove() }
        let first = disk.path + "/first.csv"
        let second = disk.path + "/second.csv"
        try AtomicFile.write([(first, "old\n"), (second, "old\n")])
        let tooBig = String(repeating: "x", count: 8 << 20) + "\n"
        do {
            try AtomicFile.write([(first, "new\n"), (second, tooBig)])
            Issue.record("8 MiB were written to a disk of 4")
        } catch {
            let message = String(describing: error)
            #expect(message.contains("cannot write \(second): No space left on device"), "\(message)")
            #expect(message.contains("Free some space"), "\(message)")
        }
        #expect(try String(contentsOfFile: first, encoding: .utf8) == "old\n", "the first file moved on alone")
        #expect(try String(contentsOfFile: second, encoding: .utf8) == "old\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: disk.path).sorted() == ["first.csv", "second.csv"])
    }

    /// A comparison whose disk fills up after its first cell ends with status 1 and a sentence naming the file,
    /// and leaves that cell in whole files, its server stopped.
    @Test func aComparisonOnAFullDiskSaysSoAndKeepsWholeFiles() async throws {
        let disk = try TinyDisk()
        defer { disk.remove() }
        let directory = disk.path + "/results"
        let run = try BenchProcess([
            "compare", "--clients", "2", "--models", "blocking", "--repeat", "30", "-d", "200ms", "--warmup", "0s",
            "--out", directory,
        ])
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline,
            ((try? CSVReader.parse(String(contentsOfFile: directory + "/summary.csv", encoding: .utf8)))?.records
                .count ?? 0) < 1
        {
            try await Task.sleep(for: .milliseconds(20))
        }
        try disk.fill()
        let (status, _, stderr) = try await run.finish(within: 60)
        #expect(status == 1, "stderr: \(stderr)")
        #expect(stderr.contains("cannot write \(directory)/summary.csv: No space left on device"), "\(stderr)")
        #expect(stderr.contains("Free some space"), "\(stderr)")
        try expectWholeFiles(in: directory)
        let rows = try CSVReader.parse(String(contentsOfFile: directory + "/summary.csv", encoding: .utf8)).records
        #expect(!rows.isEmpty && rows.allSatisfy { $0["status"] == "ok" })
        #expect(run.serversLeftRunning.isEmpty, "a bench serve was left running")
    }
}

/// A tmpfs of 4 MiB at a fresh directory, and a file that fills what is left of it.
private struct TinyDisk {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("tiny-disk-\(UUID().uuidString)").path

    /// Mounts it; cancels the test, with the reason, where mounting is refused (root without CAP_SYS_ADMIN).
    init() throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        if let failure = CommandOutput.failure(
            of: ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", path], timeoutSeconds: 30)
        {
            try? FileManager.default.removeItem(atPath: path)
            try Test.cancel("cannot mount a tmpfs here: \(failure)")
        }
    }

    /// Writes a file until the disk refuses more.
    func fill() throws {
        let descriptor = open(path + "/filler", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        let chunk = [UInt8](repeating: 0, count: 4096)
        while chunk.withUnsafeBytes({ Glibc.write(descriptor, $0.baseAddress, $0.count) }) > 0 {}
        #expect(errno == ENOSPC, "the filler stopped at \(String(cString: strerror(errno)))")
    }

    func remove() {
        _ = CommandOutput.failure(of: ["umount", path], timeoutSeconds: 30)
        try? FileManager.default.removeItem(atPath: path)
    }
}
