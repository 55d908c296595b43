import Foundation

/// The `bench` executable of this build, run as a child process the way a person runs it: the compare tests
/// check the command line, its files and its table together.
struct BenchProcess {
    let process = Process()
    private let output = Pipe()
    private let errors = Pipe()

    /// `bench` sits beside the test bundle in the build directory (`swift test` builds it too).
    static var executable: URL {
        let tests = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0])
        var directory = tests.deletingLastPathComponent()
        while directory.pathExtension == "xctest" || directory.lastPathComponent == "MacOS" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("bench")
    }

    init(_ arguments: [String]) throws {
        process.executableURL = Self.executable
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = errors
        try process.run()
    }

    /// Waits for the exit, at most `seconds` (then kills it and says so), and returns status, stdout, stderr.
    func finish(within seconds: Double) async throws -> (status: Int32, stdout: String, stderr: String) {
        // Read both pipes while waiting, so a chatty child never blocks on a full pipe. On threads of their own:
        // a blocking read on Swift's cooperative pool (one thread per core) would starve every other test.
        async let stdout = Self.readToEnd(output)
        async let stderr = Self.readToEnd(errors)
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            process.interrupt()
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: await stdout, as: UTF8.self),
                String(decoding: await stderr, as: UTF8.self))
    }

    private static func readToEnd(_ pipe: Pipe) async -> Data {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: pipe.fileHandleForReading.readDataToEndOfFile()) }
        }
    }

    /// Process ids of every `bench serve` of this build running now, to show that a comparison leaves none behind.
    /// (Compare starts servers by the full path of its own executable; other builds' servers are not ours.)
    static func runningServers() -> Set<Int32> {
        let executable = executable.path
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return Set(entries.compactMap(Int32.init).filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let words = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return words.count > 1 && words[0] == executable && words[1] == "serve"
        })
    }
}
