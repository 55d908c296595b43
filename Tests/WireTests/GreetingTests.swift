import Testing

@testable import Wire

@Suite struct GreetingTests {
    @Test func frameIsExactByteByByte() {
        var random = WyRand(seed: 42)
        var frame = [UInt8](repeating: 0, count: Greeting.frameLength)
        frame.withUnsafeMutableBytes { Greeting.write(into: $0, using: &random) }
        // The frame of docs/PROTOCOL.md, spelled out here rather than taken from Greeting's own constants.
        let prefix = Array("You requested some random bytes:\n\n".utf8)
        let suffix = Array("  \n\nYou want fries with that?\n\n".utf8)
        #expect(prefix.count == 34 && suffix.count == 31)
        #expect(frame.count == 81)
        for offset in 0..<34 { #expect(frame[offset] == prefix[offset], "byte \(offset)") }
        for offset in 50..<81 { #expect(frame[offset] == suffix[offset - 50], "byte \(offset)") }
    }

    @Test func randomPartDiffersBetweenFrames() {
        var random = WyRand(seed: 7)
        var first = [UInt8](repeating: 0, count: 81)
        var second = [UInt8](repeating: 0, count: 81)
        first.withUnsafeMutableBytes { Greeting.write(into: $0, using: &random) }
        second.withUnsafeMutableBytes { Greeting.write(into: $0, using: &random) }
        #expect(first[34..<50] != second[34..<50])
        #expect(first[0..<34] == second[0..<34] && first[50...] == second[50...])
    }

    @Test func expectedByteLeavesOnlyTheRandomPartOpen() {
        let open = (0..<81).filter { Greeting.expectedByte(at: $0) == nil }
        #expect(open == Array(34..<50))
    }
}
