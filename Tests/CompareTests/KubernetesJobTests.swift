import Foundation
import Testing

@testable import Compare

/// `deploy/kubernetes/`: the Indexed Job's worker count, its shares and the merge's directories agree, and every
/// option its command gives bench drive is one bench drive takes.
struct KubernetesJobTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy/kubernetes")

    static func file(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    /// The first capture of `pattern` in `text`.
    static func capture(_ pattern: String, in text: String) throws -> String {
        let match = try #require(try Regex(pattern).firstMatch(in: text), "no \(pattern)")
        return try #require(match.output[1].substring.map(String.init))
    }

    @Test func theWorkersSharesAndMergeAgree() throws {
        let job = try Self.file("drive-job.yaml")
        let workers = try Self.capture(#"\n  completions: (\d+)"#, in: job)
        #expect(try Self.capture(#"\n  parallelism: (\d+)"#, in: job) == workers, "every worker runs at once")
        #expect(job.contains("\n  completionMode: Indexed"))
        #expect(try Self.capture(#"--share "\$k/(\d+)""#, in: job) == workers)
        #expect(job.contains("k=$((JOB_COMPLETION_INDEX + 1))"), "shares count from 1, the index from 0")
        #expect(job.contains(#"--start-at "$START_AT""#) && job.contains("name: bench-load"))
        let mount = try Self.capture(#"mountPath: (\S+)"#, in: job)
        #expect(try Self.capture(#"--out "([^$"]+)/\$k""#, in: job) == mount)
        let merge = try Self.file("merge-job.yaml")
        let inputs = (1...Int(workers)!).map { "\"\(mount)/\($0)\"" }.joined(separator: ", ")
        #expect(merge.contains(#"["bench", "merge", "# + inputs), "the merge takes every worker's directory")
    }

    /// The Job's command, run here against a server of ours for a moment (its load made small): every option is
    /// one bench drive takes, and it writes both files the merge reads.
    @Test func theJobsCommandRunsAndWritesWhatTheMergeReads() async throws {
        let job = try Self.file("drive-job.yaml")
        let server = try ServerProcess(
            executable: BenchProcess.executable.path,
            arguments: ["serve", "--model", "epoll", "--protocol", "request", "--port", "0"], timeoutSeconds: 10)
        defer { server.stop(timeoutSeconds: 5) }
        let results = FileManager.default.temporaryDirectory.appendingPathComponent("k8s-\(UUID().uuidString)").path
        let command = try Self.capture(#"exec bench drive ([^|]+?)\n\s*volumeMounts"#, in: job)
        var arguments = command.replacingOccurrences(of: "\\\n", with: " ")
            .split(whereSeparator: \.isWhitespace).map(String.init)
        let values = [
            "\"$TARGET_HOST\"": "127.0.0.1", "\"$TARGET_PORT\"": String(server.port), "\"$k/4\"": "1/4",
            "\"$START_AT\"": String(Int(Date().timeIntervalSince1970)), "\"/results/$k\"": results,
            "\"/results/$k/latency.hlog\"": results + "/latency.hlog",
        ]
        arguments = arguments.map { values[$0] ?? $0 }
        #expect(arguments.allSatisfy { !$0.contains("$") }, "every variable of the command is one the test knows")
        let small = ["-c": "8", "-d": "300ms", "--warmup": "0s"]
        #expect(small.keys.allSatisfy(arguments.contains), "the load is given by these options")
        for index in arguments.indices.dropFirst() {
            if let value = small[arguments[index - 1]] { arguments[index] = value }
        }
        let (status, _, stderr) = try await BenchProcess(["drive"] + arguments).finish(within: 30)
        #expect(status == 0, "\(arguments): \(stderr)")
        #expect(FileManager.default.fileExists(atPath: results + "/result.json"))
        #expect(FileManager.default.fileExists(atPath: results + "/latency.hlog"))
    }
}
