import Foundation
import Servers
import Testing

/// README's list of models (under `bench serve`) is the registry's: every model there, and no other.
@Suite struct ReadmeModelsTests {
    @Test func theReadmeListsEveryModelOfTheRegistryAndNoOther() throws {
        let readme = try String(contentsOfFile: "README.md", encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## `bench serve`").dropFirst().first?
            .components(separatedBy: "\n## ").first)
        // Bullets of the form "- `name`: ...".
        let listed = section.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("- `"), let end = line.dropFirst(3).firstIndex(of: "`") else { return nil }
            return String(line[line.index(line.startIndex, offsetBy: 3)..<end])
        }
        #expect(listed == ServerModel.allCases.map(\.rawValue))
    }
}
