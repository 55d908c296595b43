import Driver
import Foundation
import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// The `bench` that `bench check --against` measures this tree against: another revision's, built once per commit
/// in a git worktree under `.build/against/COMMIT/` (release) and kept there, or an executable named by its path.
public struct AgainstBuild: Sendable {
    /// The `bench` executable of that build.
    public let executable: String
    /// Its commit (12 hex digits), for the summary rows; `unknown` for an executable outside any checkout.
    public let commit: String
    /// How the table and the messages name it: the revision as given, with its commit.
    public let label: String

    /// The models the build has, as its `bench models` lists them; nil when it cannot say (a build older than the
    /// command), for the caller to assume what it knows.
    public func models() -> Set<String>? {
        guard let listing = CommandOutput.output([executable, "models"], timeoutSeconds: 30) else { return nil }
        let names = listing.split(separator: "\n").compactMap { $0.split(separator: "\t").first.map(String.init) }
        return names.isEmpty ? nil : Set(names)
    }

    /// Whether the build's `bench COMMAND` (`serve`, `drive`) takes `option` (`--tls`, `--work`), as its `--help`
    /// says: a build older than the option refuses it as unknown, so its cells that need it cannot run. A help that
    /// does not answer says no, as the command would not run either.
    public func takes(_ option: String, in command: String) -> Bool {
        guard let help = CommandOutput.output([executable, command, "--help"], timeoutSeconds: 30) else { return false }
        return help.split(whereSeparator: \.isWhitespace).contains { $0 == option }
    }

    /// Longest wait for one release build: a first build with SwiftNIO takes minutes; half an hour means it hangs.
    static let buildTimeoutSeconds = 1800.0

    /// Resolves `spec`, an executable's path or a git revision of `repository`, to a `bench` executable, building the
    /// revision if its build is not cached yet. `progress` hears what takes time.
    /// - Throws: `CheckError` (exit 2) when `spec` names neither, or the revision does not build.
    public static func prepare(_ spec: String, repository: String?, progress: (String) -> Void) throws(CheckError)
        -> AgainstBuild
    {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: spec, isDirectory: &isDirectory), !isDirectory.boolValue {
            guard FileManager.default.isExecutableFile(atPath: spec) else {
                throw CheckError("--against \(spec) is a file but not an executable; name a bench executable or a "
                    + "git revision")
            }
            let directory = (spec as NSString).deletingLastPathComponent
            let commit = git(["-C", directory.isEmpty ? "." : directory, "rev-parse", "--short=12", "HEAD"])
            return AgainstBuild(
                executable: spec, commit: commit ?? "unknown", label: spec + (commit.map { " (\($0))" } ?? ""))
        }
        guard let repository else {
            throw CheckError("--against \(spec) is not an executable, and this is not a git checkout in which to "
                + "build it as a revision; run bench check inside the repository, or pass the path of a bench "
                + "executable")
        }
        guard let full = git(["-C", repository, "rev-parse", "--verify", "--quiet", spec + "^{commit}"]) else {
            throw CheckError("--against \(spec) is neither an executable nor a revision of \(repository); name a "
                + "commit, tag or branch (git log lists them), or the path of a bench executable")
        }
        let short = String(full.prefix(12))
        let label = spec.hasPrefix(short) || short.hasPrefix(spec) ? short : "\(spec) (\(short))"
        let directory = repository + "/.build/against/" + full
        let executable = directory + "/bench"
        if FileManager.default.isExecutableFile(atPath: executable) {
            progress("against \(label): the build cached in \(directory)/")
            return AgainstBuild(executable: executable, commit: short, label: label)
        }
        try build(full, label: label, repository: repository, into: directory, progress: progress)
        return AgainstBuild(executable: executable, commit: short, label: label)
    }

    /// Checks `commit` out into `directory/src` (a detached git worktree), builds its `bench` in release mode with
    /// its own scratch directory, and copies the executable to `directory/bench` once the build succeeded, so that a
    /// build cut short never counts as cached.
    private static func build(
        _ commit: String, label: String, repository: String, into directory: String, progress: (String) -> Void
    ) throws(CheckError) {
        let source = directory + "/src"
        let log = directory + "/build.log"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: source + "/Package.swift") {
            // A worktree whose directory was deleted by hand is still registered; prune forgets it.
            _ = CommandOutput.run(["git", "-C", repository, "worktree", "prune"], timeoutSeconds: 60)
            if let failure = CommandOutput.failure(
                of: ["git", "-C", repository, "worktree", "add", "--detach", "--force", source, commit],
                timeoutSeconds: 60)
            {
                throw CheckError("cannot check out \(label) into \(source) (git worktree add: \(failure)); remove "
                    + "\(directory) and try again")
            }
        }
        progress("against \(label): building its bench in \(source) (release, a few minutes the first time; "
            + "log: \(log))")
        let started = MonotonicClock.seconds()
        let arguments = [
            "build", "-c", "release", "--product", "bench", "--package-path", source, "--scratch-path",
            directory + "/scratch",
        ]
        let exit: ChildProcess.Exit
        do {
            let child = try ChildProcess("swift", arguments, stdout: .file(log), stderr: .file(log), searchPath: true)
            // Ctrl-C ends the build (its process group: the compilers too) and the check.
            exit = child.wait(timeoutSeconds: buildTimeoutSeconds) { Interrupt.requested }.exit
        } catch {
            throw CheckError("cannot run swift build for \(label): \(error); is the Swift toolchain on PATH?")
        }
        if Interrupt.requested { throw CheckError.interrupted }
        let built = directory + "/scratch/release/bench"
        guard exit.isClean, FileManager.default.isExecutableFile(atPath: built) else {
            let tail = (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").suffix(5)
                .joined(separator: "\n") ?? ""
            throw CheckError("the build of \(label) failed (\(exit)); its log \(log) ends with:\n\(tail)")
        }
        // Copied under another name and renamed: a copy cut short must never pass for the cached build.
        let copy = directory + "/bench.copying"
        do {
            try? FileManager.default.removeItem(atPath: copy)
            try FileManager.default.copyItem(atPath: built, toPath: copy)
            guard rename(copy, directory + "/bench") == 0 else {
                throw CheckError("rename failed: \(String(cString: strerror(errno)))")
            }
        } catch {
            throw CheckError("cannot copy the build of \(label) to \(directory)/bench: \(error.localizedDescription)")
        }
        progress(String(format: "against \(label): built in %.0f s", MonotonicClock.seconds() - started))
    }

    /// The top of the git checkout around the current directory, or nil outside one.
    public static var repositoryRoot: String? { git(["rev-parse", "--show-toplevel"]) }

    /// The first line `git arguments...` prints when it succeeds within 60 s, or nil.
    private static func git(_ arguments: [String]) -> String? {
        CommandOutput.firstLine(["git"] + arguments, timeoutSeconds: 60)
    }
}
