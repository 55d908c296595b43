import Foundation
import Testing

/// A clone is the whole project: no tracked file names a path outside the repository, and the yardstick the
/// models are measured against, the C reference server, is built with it and speaks the protocols.
@Suite(.timeLimit(.minutes(3)))
struct SelfContainedTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// `git grep` over the tracked files, stdout and stderr together: empty when nothing matches.
    static func trackedFiles(containing patterns: [String]) async -> String {
        await HTTPInteropTests.run("git", ["-C", repository, "grep", "-n", "-F"] + patterns.flatMap { ["-e", $0] })
    }

    @Test func noTrackedFileRefersToAFolderBesideTheRepository() async {
        let shared = "sha" + "red"  // in pieces, so that this file does not match itself
        let outside = ["../" + shared, "/work/" + shared]
        let found = await Self.trackedFiles(containing: outside)
        #expect(found.isEmpty, "files that refer to \(outside) outside the repository:\n\(found)")
        // The same search finds what is there, so an empty answer above is not a git that could not run.
        let control = await Self.trackedFiles(containing: ["swift-tools-version"])
        #expect(control.contains("Package.swift:1:"), "\(control)")
    }

    /// The refserver beside this build's bench (swift build makes both) passes the independent conformance client's
    /// checks of the protocol its mode speaks, ready line and SIGTERM included.
    @Test(arguments: [("greeting", "oneshot"), ("request", "ka")])
    func refserverPassesTheConformanceChecks(protocolName: String, mode: String) async {
        let refserver = BenchProcess.executable.deletingLastPathComponent().appendingPathComponent("refserver").path
        let output = await HTTPInteropTests.run(
            "python3",
            [Self.repository + "/Tests/conformance/conformance.py", "--protocol", protocolName,
             "--spawn", "'\(refserver)' -p 0 -m \(mode)"],
            seconds: 150)
        let last = output.split(separator: "\n").last ?? ""
        #expect(last.hasSuffix(" passed, 0 failed") && !last.hasPrefix("0 passed"), "\(output)")
    }
}
