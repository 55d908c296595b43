/// A CSV file in memory: a header row and data rows. ``render()`` writes RFC 4180 (quotes only where a field
/// needs them, `.` as the decimal point, `\n` line ends); ``CSVReader`` reads it back.
public struct CSVTable: Sendable, Equatable {
    public let columns: [String]
    public private(set) var rows: [[String]] = []

    public init(columns: [String]) {
        self.columns = columns
    }

    /// Appends one row; it must have a field for every column, so a file never has ragged rows.
    public mutating func append(_ row: [String]) {
        precondition(row.count == columns.count, "a row of \(row.count) fields for \(columns.count) columns")
        rows.append(row)
    }

    /// Appends one row given by column name; a column the row does not name is left empty.
    public mutating func append(_ fields: [String: String]) {
        append(columns.map { fields[$0] ?? "" })
    }

    /// One dictionary per row, column name to field (the first of two equally named columns wins).
    public var records: [[String: String]] {
        rows.map { Dictionary(zip(columns, $0), uniquingKeysWith: { first, _ in first }) }
    }

    public func render() -> String {
        var text = ""
        for row in [columns] + rows {
            text += row.map(Self.escape).joined(separator: ",")
            text += "\n"
        }
        return text
    }

    static func escape(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        var quoted = "\""
        for character in field {
            quoted.append(character)
            if character == "\"" { quoted.append("\"") }
        }
        return quoted + "\""
    }
}
