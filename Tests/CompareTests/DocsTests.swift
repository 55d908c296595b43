import Compare
import Foundation
import Testing

/// The README and docs/ held to the code: each command's page lists exactly the options its `--help` lists, the
/// README stays a front door whose links lead somewhere, and the CSV page names every column the files have.
@Suite struct DocsTests {
    /// A subcommand and where its options are documented: a page and the heading of its option list.
    struct DocumentedCommand: Sendable, CustomTestStringConvertible {
        let command: String
        let page: String
        let heading: String

        var testDescription: String { "bench \(command) in \(page)" }
    }

    static let commands = [
        DocumentedCommand(command: "serve", page: "docs/serve.md", heading: "## Options"),
        DocumentedCommand(command: "drive", page: "docs/drive.md", heading: "## Options"),
        DocumentedCommand(command: "compare", page: "docs/compare.md", heading: "## Options"),
        DocumentedCommand(command: "knee", page: "docs/knee.md", heading: "## Options"),
        DocumentedCommand(command: "soak", page: "docs/soak.md", heading: "## Options"),
        DocumentedCommand(command: "check", page: "docs/check.md", heading: "## Options"),
        DocumentedCommand(command: "merge", page: "docs/hosts.md", heading: "## Options of bench merge"),
    ]

    @Test(arguments: commands)
    func thePageNamesEveryOptionOfHelpAndNoOther(_ documented: DocumentedCommand) async throws {
        let (status, help, errors) = try await BenchProcess([documented.command, "--help"]).finish(within: 30)
        #expect(status == 0, "bench \(documented.command) --help: \(errors)")
        let listed = DocsText.helpOptions(help)
        #expect(!listed.isEmpty, "no options read from bench \(documented.command) --help")
        let page = try DocsText.read(documented.page)
        let section = try #require(
            DocsText.section(page, heading: documented.heading), "\(documented.page) has no '\(documented.heading)'")
        let named = DocsText.namedOptions(section)
        #expect(
            listed.subtracting(named).isEmpty,
            "\(documented.page) leaves out \(listed.subtracting(named).sorted()) of bench \(documented.command) --help")
        #expect(
            named.subtracting(listed).isEmpty,
            "\(documented.page) names \(named.subtracting(listed).sorted()), which bench \(documented.command) lacks")
    }

    /// The README lists the exit statuses `bench --help` lists, and the commands that exit 3 say so, as their pages do.
    @Test func everyExitStatusIsDocumentedWhereHelpSaysIt() async throws {
        // ArgumentParser wraps the help: read it as one line.
        func help(_ arguments: [String]) async throws -> String {
            let (status, help, errors) = try await BenchProcess(arguments + ["--help"]).finish(within: 30)
            #expect(status == 0, "bench \(arguments) --help: \(errors)")
            return help.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        }
        let sentence = try #require(
            try await help([]).firstMatch(of: /Exit status: [^.]*\./), "bench --help names no exit status")
        let helped = Set(sentence.output.dropFirst("Exit status: ".count).split(separator: ", ").compactMap {
            Int32($0.prefix { $0.isNumber })
        })
        let readme = try #require(DocsText.section(try DocsText.read("README.md"), heading: "## Exit status"))
        let listed = Set(DocsText.items(readme).compactMap { Int32($0.dropFirst(2).prefix { $0.isNumber }) })
        #expect(helped == listed && helped.contains(3), "bench --help: \(helped.sorted()), README: \(listed.sorted())")
        for command in ["drive", "compare"] {
            #expect(try await help([command]).contains("missed exits 3."), "bench \(command) --help")
            #expect(try DocsText.read("docs/\(command).md").contains("exits 3"), "docs/\(command).md")
        }
    }

    @Test func theReadmeIsAFrontDoorOfUnder200Lines() throws {
        let lines = try DocsText.read("README.md").split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count < 200, "README.md has \(lines.count) lines; the long material belongs in docs/")
    }

    @Test func theReadmeLinksEveryPageOfDocsAndEachExists() throws {
        let linked = Set(DocsText.links(try DocsText.read("README.md")).filter { $0.hasPrefix("docs/") }
            .map { String($0.prefix { $0 != "#" }) })
        for page in linked.sorted() {
            #expect(FileManager.default.fileExists(atPath: page), "README.md links \(page), which does not exist")
        }
        let pages = try FileManager.default.contentsOfDirectory(atPath: "docs").filter { $0.hasSuffix(".md") }
        #expect(Set(pages.map { "docs/" + $0 }) == linked, "README.md's map of docs/ and the pages in it differ")
    }

    /// Every relative link of the README and of docs/ leads to a file, and an anchor to a heading of that file.
    @Test func everyLinkOfTheDocsLeadsSomewhere() throws {
        let pages = ["README.md"]
            + (try FileManager.default.contentsOfDirectory(atPath: "docs")).filter { $0.hasSuffix(".md") }
            .map { "docs/" + $0 }
        for page in pages {
            let directory = URL(fileURLWithPath: page).deletingLastPathComponent().path
            for link in DocsText.links(try DocsText.read(page)) where !link.contains("://") {
                let parts = link.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
                let target = parts[0].isEmpty ? page : URL(fileURLWithPath: directory + "/" + parts[0]).standardized.path
                #expect(FileManager.default.fileExists(atPath: target), "\(page) links \(link), which does not exist")
                if parts.count == 2, target.hasSuffix(".md"), FileManager.default.fileExists(atPath: target) {
                    #expect(
                        DocsText.anchors(try DocsText.read(target)).contains(String(parts[1])),
                        "\(page) links \(link), a heading \(target) lacks")
                }
            }
        }
    }

    /// docs/csv.md names every column of every file, each in the file's own section; and what its summary.csv list
    /// names as columns are summary.csv's.
    @Test func theCSVPageNamesEveryColumnOfEveryFile() throws {
        let page = try DocsText.read("docs/csv.md")
        let files: [(String, [String])] = [
            ("summary.csv", SummaryCSV.columns), ("latency.csv", LatencyCSV.columns), ("sizes.csv", SizesCSV.columns),
            ("timeline.csv", TimelineCSV.columns), ("knee.csv", KneeCSV.stepColumns),
            ("capacity.csv", KneeCSV.capacityColumns), ("pairs.csv", PairsCSV.columns),
            ("objectives.csv", ObjectivesCSV.columns), ("samples.csv", SoakSample.columns), ("soak.csv", SoakCSV.columns),
        ]
        for (file, columns) in files {
            let section = try #require(DocsText.section(page, heading: "## \(file)"), "docs/csv.md has no '## \(file)'")
            let named = DocsText.codeSpans(section)
            let missing = columns.filter { !named.contains($0) }
            #expect(missing.isEmpty, "docs/csv.md's \(file) leaves out \(missing)")
        }
        let summary = try #require(DocsText.section(page, heading: "## summary.csv"))
        let leads = DocsText.items(summary).compactMap { item in
            item.range(of: ": ").map { DocsText.codeSpans(String(item[..<$0.lowerBound])) }
        }
        let unknown = Set(leads.joined()).subtracting(SummaryCSV.columns)
        #expect(unknown.isEmpty, "docs/csv.md lists \(unknown.sorted()) as summary.csv columns; it has none such")
    }
}
