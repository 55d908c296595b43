import Foundation
import Testing

@testable import Compare

/// What a results directory must hold however its command ended (a stop signal, a full disk): CSV files that end
/// with their last line's newline and parse, and no temporary file left beside them.
func expectWholeFiles(in directory: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let names = try FileManager.default.contentsOfDirectory(atPath: directory)
    #expect(names.contains("summary.csv"), "files: \(names.sorted())", sourceLocation: sourceLocation)
    #expect(!names.contains { $0.contains(".tmp-") }, "left half written: \(names.sorted())",
        sourceLocation: sourceLocation)
    for name in names where name.hasSuffix(".csv") {
        let text = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
        #expect(text.hasSuffix("\n"), "\(name) does not end with a newline", sourceLocation: sourceLocation)
        #expect(throws: Never.self, "\(name) does not parse", sourceLocation: sourceLocation) {
            try CSVReader.parse(text)
        }
    }
}
