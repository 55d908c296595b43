import FuzzSupport

@testable import Wire

extension HTTPRequestParser: StreamingParser {}

/// HTTPRequestParser on any bytes a client sends, in any split: an error ends what it reads, and stops it for good.
fuzz { input in
    let found = eventsInAnySplit(of: input, HTTPRequestParser.self) { parser, found in
        if case .error = found.last { precondition(parser.hasFailed, "an error left the parser reading") }
    }
    precondition(found.dropLast().allSatisfy { if case .head = $0 { true } else { false } }, "read past an error")
}
