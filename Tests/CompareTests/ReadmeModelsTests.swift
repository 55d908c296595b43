import Foundation
import Servers
import Testing

/// README's list of models is the registry's: every model, in its order, each with the line `bench models` prints
/// for it, and no other.
@Suite struct ReadmeModelsTests {
    @Test func theReadmeListsEveryModelOfTheRegistryAsBenchModelsDescribesIt() throws {
        let readme = try DocsText.read("README.md")
        let section = try #require(DocsText.section(readme, heading: "## The models"), "README.md has no '## The models'")
        // Items of the form "- `name`: summary".
        let listed = DocsText.items(section).compactMap { item -> (name: String, summary: String)? in
            guard item.hasPrefix("- `"), let close = item.range(of: "`: ") else { return nil }
            return (String(item[item.index(item.startIndex, offsetBy: 3)..<close.lowerBound]),
                    String(item[close.upperBound...]))
        }
        #expect(listed.map(\.name) == ServerModel.allCases.map(\.rawValue))
        #expect(listed.map(\.summary) == ServerModel.allCases.map(\.traits.summary))
    }
}
