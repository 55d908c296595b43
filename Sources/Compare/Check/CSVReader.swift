/// Reads RFC 4180 CSV: comma separated, fields optionally in double quotes, a quote inside a quoted field
/// written twice, commas and line breaks allowed inside quotes, records ended by CRLF or LF.
///
/// It reads what `bench compare` writes (summary.csv, baseline.csv); it does not guess dialects.
public enum CSVReader {
    /// What makes a text unreadable as CSV; the message says where.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// A sentence naming the record (1-based, header is 1) and what is wrong with it.
        public let description: String
    }

    /// Parses `text`; the first record is the header. Blank lines between records are skipped, as a
    /// trailing newline at the end of a file would otherwise make an empty row.
    public static func parse(_ text: String) throws(Failure) -> CSVTable {
        let records = try records(in: text)
        guard let header = records.first else {
            throw Failure(description: "the file is empty; it needs a header row")
        }
        var table = CSVTable(columns: header)
        for (index, record) in records.dropFirst().enumerated() {
            guard record.count == header.count else {
                throw Failure(
                    description: "record \(index + 2) has \(record.count) fields but the header has \(header.count)")
            }
            table.append(record)
        }
        return table
    }

    /// Splits `text` into records of fields, undoing the quoting.
    private static func records(in text: String) throws(Failure) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var inQuotes = false
        var fieldWasQuoted = false
        // Unicode scalars, not Characters: "\r\n" is one Character in Swift, and a quote next to a combining
        // mark would merge with it.
        var scalars = text.unicodeScalars.makeIterator()
        var pending = scalars.next()
        while let scalar = pending {
            pending = scalars.next()
            if inQuotes {
                if scalar != "\"" {
                    field.unicodeScalars.append(scalar)
                } else if pending == "\"" {
                    field.append("\"")
                    pending = scalars.next()
                } else {
                    inQuotes = false
                }
                continue
            }
            switch scalar {
            case "\"" where field.isEmpty && !fieldWasQuoted:
                inQuotes = true
                fieldWasQuoted = true
            case "\"":
                throw Failure(description: "record \(records.count + 1) has a quote inside an unquoted field")
            case ",":
                record.append(field)
                field = ""
                fieldWasQuoted = false
            case "\r" where pending == "\n":
                break
            case "\n":
                record.append(field)
                if record != [""] || fieldWasQuoted { records.append(record) }
                record = []
                field = ""
                fieldWasQuoted = false
            default:
                if fieldWasQuoted {
                    throw Failure(description: "record \(records.count + 1) has text after a closing quote")
                }
                field.unicodeScalars.append(scalar)
            }
        }
        if inQuotes {
            throw Failure(description: "record \(records.count + 1) has a quoted field that is never closed")
        }
        record.append(field)
        if record != [""] || fieldWasQuoted { records.append(record) }
        return records
    }
}
