import Driver

/// Reads typed fields out of one summary.csv row, turning every absent or garbled field into the
/// `CheckError` that names the file, the row and the column.
struct RowReader {
    let row: [String: String]
    /// The row as a spreadsheet numbers it: the header is row 1, the first data row is row 2.
    let number: Int
    /// Where the row comes from, as the user knows it, and what to do when it is wrong.
    let source: CheckError.Source

    func text(_ column: String) throws(CheckError) -> String {
        guard let value = row[column] else { throw .missingColumn(source, column) }
        return value.trimmingSpaces
    }

    /// A finite number; `positive` rejects zero too (a machine floor of 0 cannot normalize anything).
    func double(_ column: String, positive: Bool = false) throws(CheckError) -> Double {
        let value = try text(column)
        guard let number = Double(value), number.isFinite, positive ? number > 0 : number >= 0 else {
            throw .garbled(source, row: self.number, column: column, value: value,
                           expected: positive ? "a number above zero" : "a number of zero or more")
        }
        return number
    }

    func int(_ column: String) throws(CheckError) -> Int {
        let value = try text(column)
        guard let number = Int(value), number >= 0 else {
            throw .garbled(
                source, row: self.number, column: column, value: value, expected: "a whole number of zero or more")
        }
        return number
    }

    /// An empty field means the setting does not apply to the run (no rate in a closed loop, for example).
    func optionalDouble(_ column: String) throws(CheckError) -> Double? {
        try text(column).isEmpty ? nil : double(column)
    }

    /// An empty field means the setting does not apply to the run.
    func optionalInt(_ column: String) throws(CheckError) -> Int? {
        try text(column).isEmpty ? nil : int(column)
    }

    /// Requests per connection as `--requests` writes them: a whole count or `unlimited`.
    func optionalRequests(_ column: String) throws(CheckError) -> Int? {
        let value = try text(column)
        guard !value.isEmpty else { return nil }
        guard let count = try? Units.requests(value, option: column) else {
            throw .garbled(source, row: number, column: column, value: value, expected: "a whole number or unlimited")
        }
        return count
    }
}

extension String {
    /// The text without surrounding spaces, which a hand-edited CSV picks up after commas.
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
