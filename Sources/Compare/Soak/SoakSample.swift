import SystemCalls

/// One reading of one side of a soak: the server's process group (a prefork server's workers included) or the
/// driver's, at a time from the start of the model's soak.
public struct SoakSample: Sendable, Equatable {
    public enum Process: String, Sendable, CaseIterable {
        case server
        case driver
    }

    public var model: String
    public var process: Process
    /// Seconds from the start of the drive.
    public var time: Double
    public var rssBytes: Int
    public var fds: Int
    public var threads: Int

    public init(model: String, process: Process, time: Double, stats: ProcessStats) {
        self.model = model
        self.process = process
        self.time = time
        rssBytes = stats.residentKiB * 1024
        fds = stats.descriptors
        threads = stats.threads
    }

    public func value(_ metric: GrowthVerdict.Metric) -> Double {
        switch metric {
        case .rss: Double(rssBytes)
        case .fds: Double(fds)
        case .threads: Double(threads)
        }
    }

    /// samples.csv's columns.
    public static let columns = ["time_s", "model", "process", "rss_bytes", "fds", "threads"]

    public static func table(_ samples: [SoakSample]) -> CSVTable {
        var table = CSVTable(columns: columns)
        for sample in samples {
            table.append([
                SummaryCSV.decimal(sample.time, places: 3), sample.model, sample.process.rawValue, String(sample.rssBytes),
                String(sample.fds), String(sample.threads),
            ])
        }
        return table
    }
}
