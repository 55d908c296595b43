import Servers
import Testing

@testable import Compare

/// What `bench check` asks of the other build before it plans its pairs.
@Suite struct AgainstBuildTests {
    /// Every model a build has, not the first line of its listing: a model missing here would be measured beside
    /// the reference server instead of beside its own earlier self.
    @Test func theModelsOfABuildAreEveryLineOfItsListing() throws {
        let build = try AgainstBuild.prepare(BenchProcess.executable.path, repository: nil) { _ in }
        #expect(build.models() == Set(ServerModel.allCases.map(\.rawValue)))
    }

    /// Whether a check over TLS can run the other build's servers and driver: this build's take --tls, a build
    /// older than TLS support (its help names no --tls) does not.
    @Test func aBuildTakesTLSWhenItsHelpNamesIt() throws {
        let build = try AgainstBuild.prepare(BenchProcess.executable.path, repository: nil) { _ in }
        #expect(build.takes("--tls", in: "serve") && build.takes("--tls", in: "drive"))
        let old = try BuildWithoutTLS()
        defer { old.remove() }
        let oldBuild = try AgainstBuild.prepare(old.path, repository: nil) { _ in }
        #expect(!oldBuild.takes("--tls", in: "serve") && !oldBuild.takes("--tls", in: "drive"))
        #expect(oldBuild.models() == Set(ServerModel.allCases.map(\.rawValue)))
    }
}
