/// A parser that reads a stream in pieces and keeps no bytes (HTTPRequestParser, HTTPResponseParser): `parse` reads
/// from `start` until the piece's end or the next event.
public protocol StreamingParser {
    associatedtype Event: Equatable
    init()
    mutating func parse(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (end: Int, event: Event?)
}

/// The events a new `Parser` finds in `input`, which must be the same read whole and read one byte at a time: a
/// parser that keeps no bytes must not depend on where reads end. `end` is handed the parser and its events after the
/// input: where the stream's end is read, and the target's own checks are made.
public func eventsInAnySplit<Parser: StreamingParser>(
    of input: UnsafeRawBufferPointer, _: Parser.Type,
    end: (inout Parser, inout [Parser.Event]) -> Void = { _, _ in }
) -> [Parser.Event] {
    func read(chunk: Int) -> [Parser.Event] {
        var parser = Parser()
        var found: [Parser.Event] = []
        var start = 0
        while start < input.count {
            let piece = UnsafeRawBufferPointer(rebasing: input[start..<min(input.count, start + chunk)])
            var index = 0
            while index < piece.count {
                let (next, event) = parser.parse(piece, from: index)
                precondition(next <= piece.count && (next > index || event != nil), "a parser stuck or past its input")
                index = next
                if let event { found.append(event) }
            }
            start += piece.count
        }
        end(&parser, &found)
        return found
    }
    let whole = read(chunk: max(input.count, 1))
    precondition(read(chunk: 1) == whole, "one byte at a time differs from the whole")
    return whole
}

/// The input as text, as a command line or a file read as UTF-8 would give it.
public func text(_ input: UnsafeRawBufferPointer) -> String {
    String(decoding: input, as: UTF8.self)
}
