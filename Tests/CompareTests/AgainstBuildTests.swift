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
}
