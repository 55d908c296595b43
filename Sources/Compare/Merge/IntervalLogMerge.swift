import Foundation
import Metrics

/// The interval logs (`--hlog`) of the hosts of one load, merged as their results are: the histograms of a tag that
/// cover the same second added.
public enum IntervalLogMerge {
    /// Each directory's one `.hlog` file, merged; nil when no directory has one. A set in which some hosts wrote a
    /// log and others did not, or a host wrote two, is refused: the merge would not be the whole load.
    public static func merge(_ directories: [String]) throws(MergeError) -> (name: String, log: IntervalLog)? {
        let found = directories.map { directory in
            ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
                .filter { $0.hasSuffix(".hlog") }.sorted()
        }
        guard found.contains(where: { !$0.isEmpty }) else { return nil }
        var logs: [IntervalLog] = []
        for (directory, names) in zip(directories, found) {
            guard names.count == 1 else {
                throw MergeError(names.isEmpty
                    ? "\(directory) has no .hlog file while others have: give every host --hlog, or none"
                    : "\(directory) has \(names.count) .hlog files (\(names.joined(separator: ", "))): keep one")
            }
            let path = directory + "/" + names[0]
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw MergeError("\(path) cannot be read")
            }
            do { logs.append(try IntervalLog.parse(text)) } catch { throw MergeError("\(path): \(error)") }
        }
        return (found[0][0], IntervalLog.merged(logs))
    }
}
