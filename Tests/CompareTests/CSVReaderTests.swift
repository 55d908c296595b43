import Testing

@testable import Compare

@Suite struct CSVReaderTests {
    @Test func readsQuotedCommasQuotesAndLineBreaks() throws {
        let text = "model,host,note\r\nblocking,\"ci, shared\",\"said \"\"hi\"\"\"\r\nevent-loop,h,\"two\nlines\"\r\n"
        let table = try CSVReader.parse(text)
        #expect(table.columns == ["model", "host", "note"])
        #expect(table.records == [
            ["model": "blocking", "host": "ci, shared", "note": "said \"hi\""],
            ["model": "event-loop", "host": "h", "note": "two\nlines"],
        ])
    }

    @Test func keepsEmptyFieldsAndSkipsBlankLines() throws {
        let table = try CSVReader.parse("a,b,c\n,,\n\n1,\"\",3")
        #expect(table.records == [["a": "", "b": "", "c": ""], ["a": "1", "b": "", "c": "3"]])
    }

    @Test func aCarriageReturnAloneIsText() throws {
        let table = try CSVReader.parse("a\nx\ry\n")
        #expect(table.records == [["a": "x\ry"]])
    }

    @Test func aHeaderAloneHasNoRows() throws {
        let table = try CSVReader.parse("model,status\n")
        #expect(table.columns == ["model", "status"])
        #expect(table.records.isEmpty)
    }

    @Test(arguments: [
        ("", "empty"),
        ("a,b\n1,2,3\n", "record 2 has 3 fields but the header has 2"),
        ("a,b\n1,\"2\n", "never closed"),
        ("a,b\n1,\"2\"x\n", "text after a closing quote"),
        ("a,b\n1,2\"\n", "quote inside an unquoted field"),
    ])
    func malformedTextSaysWhere(text: String, message: String) {
        #expect {
            try CSVReader.parse(text)
        } throws: { error in
            (error as? CSVReader.Failure)?.description.contains(message) == true
        }
    }
}
