import Driver

/// A problem with the baseline, the current rows or the command line: `bench check` exits 2 and prints
/// `description`, one sentence saying what is wrong and what to do.
public struct CheckError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One sentence: what is wrong, then what to do about it.
    public let description: String

    /// 2 for a usage, baseline or build problem (0 is pass, 1 is regression); 128 + the signal when a stop signal
    /// (Ctrl-C: 130) stopped the check.
    public let exitCode: Int32

    /// An error with the sentence `description`.
    public init(_ description: String, exitCode: Int32 = 2) {
        self.description = description
        self.exitCode = exitCode
    }

    /// A stop signal, while the other build was being built.
    static var interrupted: CheckError {
        CheckError("interrupted while building the other revision", exitCode: Interrupt.exitStatus)
    }

    /// Rows under validation, named as the user knows them, with what to do when they are wrong.
    struct Source: Sendable {
        /// "results/baseline.csv", "the current run".
        let name: String
        /// The second half of every message about these rows.
        let remedy: String

        /// A baseline file: the remedy is a fresh one measured on this tree.
        static func baseline(_ path: String) -> Source {
            Source(name: path, remedy: "regenerate it with `bench check --update`")
        }

        /// The rows bench compare just produced for the check: wrong ones are the program's fault.
        static let currentRun = Source(
            name: "the current run", remedy: "this is a bug in bench, please report it with the command you ran")
    }

    static func missingFile(_ path: String) -> CheckError {
        CheckError("\(path) does not exist; create a baseline with `bench check --update` or pass --baseline PATH")
    }

    static func unreadable(_ source: Source, _ reason: String) -> CheckError {
        CheckError("\(source.name) cannot be read (\(reason)); \(source.remedy)")
    }

    static func missingColumn(_ source: Source, _ column: String) -> CheckError {
        CheckError("\(source.name) has no column '\(column)'; \(source.remedy)")
    }

    static func garbled(_ source: Source, row: Int, column: String, value: String, expected: String) -> CheckError {
        CheckError(
            "\(source.name) row \(row) has '\(value)' in column '\(column)' where \(expected) belongs; "
                + source.remedy)
    }

    static func mixedSettings(_ source: Source, column: String, values: [String]) -> CheckError {
        let listed = values.map { "'\($0)'" }.joined(separator: " and ")
        return CheckError(
            "\(source.name) mixes runs with different settings (\(column) is \(listed)); keep the rows of one run "
                + "or \(source.remedy)")
    }

    static func unknownProtocol(_ source: Source, _ name: String) -> CheckError {
        CheckError("\(source.name) has protocol '\(name)' where greeting, request, http, echo or multiplex belongs; \(source.remedy)")
    }

    static func noSuccessfulRows(_ source: Source) -> CheckError {
        CheckError(
            "\(source.name) has no row with status 'ok', so there is nothing to compare with; \(source.remedy)")
    }
}
