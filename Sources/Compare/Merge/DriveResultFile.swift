import Driver
import Foundation

/// result.json beside a `bench drive --csv` directory's CSV files: the whole result with its histograms, exact, so that
/// the runs of several load hosts can be merged (`bench merge`) as the threads of one run are.
public struct DriveResultFile: Codable, Sendable {
    public static let name = "result.json"

    /// The model column of the run (`--label`).
    public var label: String
    public var result: DriveResult

    /// The interval histograms are left out: the run's .hlog holds them, a fraction of their size as JSON.
    public init(label: String, result: DriveResult) {
        self.label = label
        self.result = result
        self.result.metrics.intervals = nil
    }

    public func write(into directory: String) throws {
        let json = String(decoding: try JSONEncoder().encode(self), as: UTF8.self)
        try AtomicFile.write(json, to: directory + "/" + Self.name)
    }

    /// The file in `directory`; the error names the directory and what is wrong with it.
    public static func read(from directory: String) throws(MergeError) -> DriveResultFile {
        let path = directory + "/" + name
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MergeError("\(path) is missing: give directories written by bench drive --csv")
        }
        do {
            return try JSONDecoder().decode(Self.self, from: data)
        } catch {
            throw MergeError("\(path) cannot be read (\(error)): was it written by this build's bench drive --csv?")
        }
    }
}
