import FuzzSupport

@testable import Wire

/// Every protocol's sessions on hostile bytes: the request protocol's 4-byte headers and the multiplex protocol's
/// requests and frames among them. The first byte picks the protocol and the side; a server session is fed the rest
/// as a client's bytes, a client session (its pipeline depth from the second byte) the rest as a server's.
let maxRequestBytes = 1 << 16
let pool: RandomPool = {
    var seed = WyRand(seed: 3)
    return RandomPool(maxSlice: maxRequestBytes, random: &seed)
}()

/// Takes input as a model does, offering what the session did not take again once its output is taken; every piece
/// it owes is taken whole, as by a client that reads everything.
func serve(_ wireProtocol: WireProtocol, _ input: UnsafeRawBufferPointer) {
    let session = wireProtocol.makeServerSession(
        ServerSessionSettings(
            maxRequestBytes: UInt32(maxRequestBytes), pool: wireProtocol.traits.answersFromPool ? pool : nil))
    session.reset()
    var random = WyRand(seed: 7)
    func drain() {
        while true {
            let pieces = session.gather(using: &random)
            guard !pieces.isEmpty else { return }
            _ = session.advance(pieces.reduce(0) { $0 + $1.count })
        }
    }
    var start = 0
    while start < input.count && !session.isFinished {
        drain()
        guard session.wantsInput else { break }
        let consumed = session.receive(UnsafeRawBufferPointer(rebasing: input[start...])).consumed
        precondition(consumed <= input.count - start, "a session took more than it was given")
        precondition(consumed > 0 || !session.wantsInput || session.isFinished, "a session that wants input took none")
        start += consumed
    }
    _ = session.receiveEnd()
    drain()
}

/// Sends requests of the sizes the input's first bytes say while the session allows, reads the rest as the server's
/// answer, then its end; sends again whenever an answer completes.
func drive(_ wireProtocol: WireProtocol, depth: Int, _ input: UnsafeRawBufferPointer) {
    let template = HTTPRequestTemplate(path: "/bytes/{size}", authority: "fuzz", fields: [])
    let session = wireProtocol.makeClientSession(ClientSessionSettings(pipelineDepth: depth, template: template))
    session.reset()
    var request = [UInt8](repeating: 0, count: session.requestCapacity)
    var sizes = input.makeIterator()
    func send() {
        while session.canSend && !session.serverCloses, let size = sizes.next() {
            _ = request.withUnsafeMutableBytes { session.writeRequest(UInt32(size) + 1, last: false, into: $0) }
        }
    }
    send()
    var index = min(depth, input.count)
    var bad = false
    while index < input.count {
        let (end, event) = session.next(input, from: index)
        precondition(end >= index && end <= input.count, "a session read backwards or past its input")
        precondition((0...depth).contains(session.outstanding), "outstanding requests beyond the depth")
        precondition(!bad || event == nil, "an event after a bad response")
        if event == .bad { bad = true }
        if case .response = event { send() }
        precondition(end > index || event != nil, "a session stuck")
        index = end
    }
    _ = session.receiveEnd()
}

fuzz { input in
    guard input.count >= 2 else { return }
    let (choice, depth) = (input[0], input[1])
    let rest = UnsafeRawBufferPointer(rebasing: input[2...])
    let wireProtocol = WireProtocol.allCases[Int(choice & 0x7F) % WireProtocol.allCases.count]
    if choice & 0x80 == 0 {
        serve(wireProtocol, rest)
    } else if wireProtocol.traits.clientSends && !wireProtocol.traits.streamsExchange {
        drive(wireProtocol, depth: 1 + Int(depth % 8), rest)
    }
}
