import Testing

@testable import Compare

@Suite struct CSVTableTests {
    @Test func fieldsThatNeedQuotesSurviveARoundTrip() throws {
        var table = CSVTable(columns: ["model", "status", "note"])
        table.append(["event-loop", "ok", "plain"])
        table.append(["blocking", "failed: server exited, status 1", "said \"no\"\nthen left"])
        table.append(["model": "thread-pool"])
        let text = table.render()
        #expect(text.hasPrefix("model,status,note\nevent-loop,ok,plain\n"))
        #expect(try CSVReader.parse(text) == table)
    }

    @Test func recordsAreKeyedByColumn() {
        var table = CSVTable(columns: ["a", "b"])
        table.append(["1", "2"])
        #expect(table.records == [["a": "1", "b": "2"]])
    }
}
