@testable import Wire

/// A ``ServerSession`` run the way a model runs it, without sockets: input offered in chunks of the given sizes
/// (what the session does not take is offered again after its output is taken), output taken whole as soon as it is
/// owed, as a client that reads everything would.
struct SessionConversation {
    let session: any ServerSession
    var random = WyRand(seed: 7)
    private(set) var output: [UInt8] = []
    private(set) var responses = 0
    private(set) var protocolErrors = 0
    /// The work (`--work`, an HTTP query) the input's requests asked for, added up.
    private(set) var work = RequestWork.none
    /// The most pieces one gather returned, and the most input one receive left untaken.
    private(set) var mostPieces = 0
    private(set) var mostUntaken = 0

    init(_ wireProtocol: WireProtocol, maxRequestBytes: UInt32 = 1 << 20, work: WorkPlan = WorkPlan()) {
        var seed = WyRand(seed: 3)
        let pool = wireProtocol.traits.answersFromPool
            ? RandomPool(maxSlice: min(Int(maxRequestBytes), 1 << 20), random: &seed) : nil
        session = wireProtocol.makeServerSession(
            ServerSessionSettings(maxRequestBytes: maxRequestBytes, pool: pool, work: work))
    }

    /// Takes everything the session owes now.
    mutating func drain() {
        while true {
            let pieces = session.gather(using: &random)
            guard !pieces.isEmpty else { return }
            mostPieces = max(mostPieces, pieces.count)
            var taken = 0
            for piece in pieces {
                output += piece
                taken += piece.count
            }
            responses += session.advance(taken)
        }
    }

    /// Offers `input` in chunks (sizes cycled), then the end of the stream when `end`.
    mutating func feed(_ input: [UInt8], chunks: [Int] = [Int.max], end: Bool = false) {
        drain()
        var offset = 0
        var turn = 0
        while offset < input.count && !session.isFinished {
            let stop = min(input.count, offset + min(chunks[turn % chunks.count], input.count - offset))
            var chunk = Array(input[offset..<stop])
            while !chunk.isEmpty && !session.isFinished {
                guard session.wantsInput else {
                    drain()
                    if !session.wantsInput { return }  // it wants no more input however much it sent
                    continue
                }
                let received = chunk.withUnsafeBytes { session.receive($0) }
                protocolErrors += received.protocolErrors
                work.add(received.work)
                chunk.removeFirst(received.consumed)
                mostUntaken = max(mostUntaken, chunk.count)
                drain()
            }
            offset = stop
            turn += 1
        }
        if end {
            let ending = session.receiveEnd()
            protocolErrors += ending.protocolErrors
            responses += ending.completed
            drain()
        }
    }

    /// The output as text, its Date field values replaced by `DATE` so that outputs of two runs compare.
    var text: String {
        var text = String(decoding: output, as: UTF8.self)
        while let range = text.firstRange(of: "Date: "), let end = text[range.upperBound...].firstIndex(of: "\r") {
            text.replaceSubrange(range.lowerBound..<end, with: "DATE")
        }
        return text
    }
}

/// A client session of `wireProtocol`, as the driver makes one.
func makeClient(
    _ wireProtocol: WireProtocol, pipelineDepth: Int = 1, template: HTTPRequestTemplate? = nil,
    checksLength: Bool = true, content: RandomPool? = nil
) -> any ClientSession {
    wireProtocol.makeClientSession(ClientSessionSettings(
        pipelineDepth: pipelineDepth, template: template, checksLength: checksLength, content: content))
}

/// Every event `bytes` bring to `client`, fed in chunks of `chunk` bytes (1: byte by byte), each with the place of the
/// request it concerns (``ClientSession/eventRequest``).
func placedEvents(_ bytes: [UInt8], chunk: Int = .max, client: any ClientSession) -> [(event: ClientEvent, place: Int)] {
    var events: [(event: ClientEvent, place: Int)] = []
    var start = 0
    while start < bytes.count {
        let piece = Array(bytes[start..<min(bytes.count, start + min(chunk, bytes.count - start))])
        start += piece.count
        piece.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let (end, event) = client.next(buffer, from: offset)
                offset = end
                if let event { events.append((event, client.eventRequest)) }
            }
        }
    }
    return events
}
