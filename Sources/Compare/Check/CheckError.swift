/// A problem with the baseline, the current rows or the command line: `bench check` exits 2 and prints
/// `description`, one sentence saying what is wrong and what to do.
public struct CheckError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One sentence: what is wrong, then what to do about it.
    public let description: String

    /// The exit code of a usage or baseline problem (0 is pass, 1 is regression).
    public var exitCode: Int32 { 2 }

    /// An error with the sentence `description`.
    public init(_ description: String) {
        self.description = description
    }

    /// The remedy every baseline problem shares: a fresh baseline measured on this tree.
    static let regenerate = "regenerate it with `bench check --update`"

    static func missingFile(_ source: String) -> CheckError {
        CheckError("\(source) does not exist; create a baseline with `bench check --update` or pass --baseline PATH")
    }

    static func unreadable(_ source: String, _ reason: String) -> CheckError {
        CheckError("\(source) cannot be read (\(reason)); \(regenerate)")
    }

    static func missingColumn(_ source: String, _ column: String) -> CheckError {
        CheckError("\(source) has no column '\(column)'; \(regenerate)")
    }

    static func garbled(_ source: String, row: Int, column: String, value: String, expected: String) -> CheckError {
        CheckError("\(source) row \(row) has '\(value)' in column '\(column)' where \(expected) belongs; \(regenerate)")
    }

    static func mixedSettings(_ source: String, column: String, values: [String]) -> CheckError {
        let listed = values.map { "'\($0)'" }.joined(separator: " and ")
        return CheckError(
            "\(source) mixes runs with different settings (\(column) is \(listed)); keep the rows of one run "
                + "or \(regenerate)")
    }

    static func noSuccessfulRows(_ source: String) -> CheckError {
        CheckError("\(source) has no row with status 'ok', so there is nothing to compare with; \(regenerate)")
    }
}
