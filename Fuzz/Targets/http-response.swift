import FuzzSupport

@testable import Wire

extension HTTPResponseParser: StreamingParser {}

/// HTTPResponseParser on any bytes a server sends, in any split, then the end of the stream: a response has a status
/// of three digits, and a body no longer than the bytes that came.
fuzz { input in
    let found = eventsInAnySplit(of: input, HTTPResponseParser.self) { parser, found in
        if let last = parser.receiveEnd() { found.append(.complete(last)) }
    }
    for case .complete(let response) in found {
        precondition((0...input.count).contains(response.bodyLength), "a body longer than the input")
        precondition((100...999).contains(response.status), "a status of other than three digits")
    }
}
