import ArgumentParser
import Compare
import Driver
import Foundation
import Metrics

extension Bench {
    struct Merge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge the runs of the hosts of one --share'd load into the result files of a single run.",
            discussion: """
                Each DIR is a bench drive --csv directory of one host (its result.json holds the exact histograms). \
                Counts are summed and histograms added, so percentiles are recomputed from the whole, never \
                averaged; the window is the longest host's. The inputs must be every share of one load (--share 1/N \
                to N/N, the same settings otherwise): any other set is refused, saying what differs or is missing. \
                Writes summary.csv, latency.csv, timeline.csv, meta.csv and result.json into --out, prints the \
                summary and draws the charts. Where the hosts wrote --hlog into their directories (one .hlog file \
                each), their interval logs are merged too, the histograms of each tag and second added, into a file \
                of the same name.
                """
        )

        @Argument(help: ArgumentHelp("The hosts' bench drive --csv directories.", valueName: "dir"))
        var directories: [String]

        @Option(help: "Directory for the merged files.")
        var out: String

        func run() async throws {
            let merged: DriveResult
            let label: String
            let log: (name: String, log: IntervalLog)?
            do {
                let inputs = try directories.map { directory throws(MergeError) in
                    (directory: directory, file: try DriveResultFile.read(from: directory))
                }
                merged = try DriveMerge.merge(inputs)
                label = inputs[0].file.label
                log = try IntervalLogMerge.merge(directories)
            } catch {
                throw Failure(message: "\(error)", code: 2)
            }
            let results = try ResultsDirectory(
                path: out, facts: MachineFacts.read(), runUTC: Compare.stamp(merged.startedAt, compact: false),
                settings: [("merged", directories.joined(separator: " ")), ("hosts", String(directories.count))])
            let cell = ComparePlan.Cell(subject: .external(label), clients: merged.settings.clients, repetition: 1)
            try results.write([
                CellResult(cell: cell, settings: merged.settings, drive: merged, server: nil, floor: nil, failure: nil)
            ])
            try DriveResultFile(label: label, result: merged).write(into: out)
            if let log {
                let comment = "[bench merge: \(IntervalLog.units); "
                    + "\(directories.count) hosts: \(directories.joined(separator: " "))]"
                try AtomicFile.write(log.log.render(comment: comment), to: out + "/" + log.name)
            }
            print(SummaryReport.render(merged), terminator: "")
            print("results: \(out)/")
            Compare.drawCharts(out)
        }
    }
}
