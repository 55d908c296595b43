import Servers
import Testing
import Wire

/// One set of socket tests, run against every server model.
///
/// Serialized: the leak check counts server threads and sockets of the whole process, so no other server of this
/// suite may be starting or stopping meanwhile.
@Suite(.serialized)
struct ServerTests {
    /// The default maximum request, 1 MiB.
    static let maxRequest = Int(WireDefaults.maxRequestBytes)

    @Test(arguments: ServerModel.allCases)
    func greetingFrameIsExactByteByByte(model: ServerModel) async throws {
        try await withRunningServer(model, protocol: .greeting) { server, port in
            let (frame, ending) = try TestClient(port: port).readToEnd()
            #expect(ending == .end)
            #expect(frame.count == 81)  // 34-byte prefix + 16 random bytes + 31-byte suffix
            for (offset, byte) in frame.enumerated() {
                if let expected = Greeting.expectedByte(at: offset) {
                    #expect(byte == expected, "byte \(offset)")
                }
            }
            #expect(Array(frame.prefix(34)) == Array("You requested some random bytes:\n\n".utf8))
            #expect(Array(frame.suffix(31)) == Array("  \n\nYou want fries with that?\n\n".utf8))
            #expect(await eventually { server.counters.requests == 1 && server.counters.bytesSent == 81 })
            #expect(server.counters.connections == 1)
        }
    }

    @Test(arguments: ServerModel.allCases, [1, 16, 4096, maxRequest])
    func answersEachRequestSizeExactly(model: ServerModel, size: Int) async throws {
        try await withRunningServer(model) { server, port in
            let client = try TestClient(port: port)
            for _ in 0..<2 {  // twice on one connection: the first answer must end exactly where it should
                #expect(client.sendRequests([UInt32(size)]))
                #expect(client.read(exactly: size) != nil)
            }
            client.halfClose()
            let rest = client.readToEnd()
            #expect(rest.bytes.isEmpty && rest.ending == .end, "nothing after the answers, then EOF")
            #expect(await eventually { server.counters.requests == 2 && server.counters.bytesSent == 2 * size })
        }
    }

    @Test(arguments: ServerModel.allCases)
    func answersPipelinedRequestsFromOneWrite(model: ServerModel) async throws {
        try await withRunningServer(model) { server, port in
            let client = try TestClient(port: port)
            let sizes = (1...100).map(UInt32.init)  // 5,050 bytes in all, asked for in one 400-byte write
            #expect(client.sendRequests(sizes))
            #expect(client.read(exactly: 5050) != nil)
            client.halfClose()
            let rest = client.readToEnd()
            #expect(rest.bytes.isEmpty && rest.ending == .end)
            #expect(await eventually { server.counters.requests == 100 })
        }
    }

    @Test(arguments: ServerModel.allCases)
    func finishesWhatIsOwedAfterHalfClose(model: ServerModel) async throws {
        try await withRunningServer(model) { _, port in
            let client = try TestClient(port: port)
            // Three maximal requests and the half-close in a row: the EOF arrives long before the 3 MiB have left.
            #expect(client.sendRequests([UInt32(Self.maxRequest), 1, UInt32(Self.maxRequest)]))
            client.halfClose()
            let (bytes, ending) = client.readToEnd()
            #expect(bytes.count == 2 * Self.maxRequest + 1)
            #expect(ending == .end)
        }
    }

    @Test(
        arguments: ServerModel.allCases,
        [
            [0, 0, 0, 0],  // n = 0
            [0, 16, 0, 1],  // n = max + 1 (1 MiB + 1)
            Array("GET / HTTP/1.1\r\n\r\n".utf8),  // garbage: n = "GET " = 1,195,725,856 > max
        ])
    func closesOnInvalidRequestAndCountsIt(model: ServerModel, header: [UInt8]) async throws {
        try await withRunningServer(model) { server, port in
            let client = try TestClient(port: port)
            #expect(client.send(header))
            let (bytes, ending) = client.readToEnd()
            #expect(bytes.isEmpty, "no byte is sent for an invalid request")
            #expect(ending != .timedOut, "the connection is closed at once")
            #expect(await eventually { server.counters.protocolErrors == 1 })
            #expect(server.counters.requests == 0)
        }
    }

    /// Every protocol of the registry, spoken by that protocol's own client session (the driver's): what a client
    /// asks and how its answers are judged come from the protocol's files, so a new protocol is tested here without a
    /// line of its own.
    @Test(arguments: ServerModel.allCases, WireProtocol.allCases)
    func serves200ConcurrentClients(model: ServerModel, wireProtocol: WireProtocol) async throws {
        try await withRunningServer(model, protocol: wireProtocol) { server, port in
            var seed = WyRand(seed: 11)
            let content = RandomPool(maxSlice: 1 << 16, random: &seed)
            let traits = wireProtocol.traits
            // All 200 connect and ask before any answer is read, so the server holds 200 connections at once.
            var conversations: [(client: TestClient, session: any ClientSession, asked: Int)] = []
            for index in 0..<200 {
                let client = try TestClient(port: port)
                let session = wireProtocol.makeClientSession(ClientSessionSettings(
                    pipelineDepth: 2, template: HTTPRequestTemplate(path: "/bytes/{size}", authority: "t", fields: []),
                    content: content))
                var asked = 0
                if traits.streamsExchange {
                    // Sizes that differ from one client to the next, all within a server's echo space.
                    let size = 100 + index
                    session.beginExchange(size: size, offset: index * 977)
                    var sent: [UInt8] = []
                    while sent.count < size { sent += session.exchangeBytes(at: sent.count, limit: size - sent.count) }
                    #expect(client.send(sent))
                    asked = 1
                } else if traits.clientSends {
                    var requests: [UInt8] = []
                    for (place, size) in [UInt32(index + 1), 100].enumerated() {
                        var buffer = [UInt8](repeating: 0, count: session.requestCapacity)
                        let length = buffer.withUnsafeMutableBytes {
                            session.writeRequest(size, last: place == 1, into: $0)
                        }
                        requests += buffer[..<length]
                        asked += 1
                    }
                    #expect(client.send(requests))
                }
                // A client that closes once answered (HTTP/2) says it is done with a half-close here, which the
                // server answers as the others' own ends: what was asked, then the close.
                if traits.clientSends && (traits.halfClosesAfterLastRequest || traits.closesWhenAnswered) {
                    client.halfClose()
                }
                conversations.append((client, session, asked))
            }
            for (index, conversation) in conversations.enumerated() {
                let (bytes, ending) = conversation.client.readToEnd()
                #expect(ending == .end)
                var answered = 0
                var offset = 0
                let events: [ClientEvent] = bytes.withUnsafeBytes { chunk in
                    var events: [ClientEvent] = []
                    while offset < chunk.count {
                        let (end, event) = conversation.session.next(chunk, from: offset)
                        offset = end
                        if let event { events.append(event) }
                    }
                    return events
                }
                for event in events { if case .response(.valid) = event { answered += 1 } }
                let (last, verdict) = conversation.session.receiveEnd()
                if case .response(.valid)? = last { answered += 1 }
                #expect(!events.contains(.bad) && !events.contains(.mismatch), "client \(index): \(events)")
                #expect(verdict == .complete, "client \(index)")
                #expect(answered == max(1, conversation.asked), "client \(index)")
            }
            let requests = 200 * (traits.exchange == .request ? 2 : 1)
            #expect(await eventually { server.counters.requests == requests })
            #expect(server.counters.connections == 200)
        }
    }
}
