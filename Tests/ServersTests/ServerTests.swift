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

    /// What echo client `index` sends: 100 + index bytes that differ from one client to the next.
    static func echoContent(_ index: Int) -> [UInt8] {
        (0..<(100 + index)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
    }

    @Test(arguments: ServerModel.allCases, WireProtocol.allCases)
    func serves200ConcurrentClients(model: ServerModel, wireProtocol: WireProtocol) async throws {
        try await withRunningServer(model, protocol: wireProtocol) { server, port in
            // All 200 connect and ask before any answer is read, so the server holds 200 connections at once.
            let clients = try (0..<200).map { _ in try TestClient(port: port) }
            for (index, client) in clients.enumerated() {
                switch wireProtocol {
                case .greeting: break
                case .request:
                    #expect(client.sendRequests([UInt32(index + 1), 100]))
                    client.halfClose()
                case .http:
                    let asks = "GET /bytes/\(index + 1) HTTP/1.1\r\nHost: t\r\n\r\n"
                        + "GET /bytes/100 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                    #expect(client.send(Array(asks.utf8)))
                case .echo:
                    #expect(client.send(Self.echoContent(index)))
                    client.halfClose()
                case .multiplex:
                    #expect(client.sendFrames([(UInt32(index), UInt32(index + 1)), (7, 100)]))
                    client.halfClose()
                default: Issue.record("no exchange written for \(wireProtocol) here")
                }
            }
            for (index, client) in clients.enumerated() {
                let (bytes, ending) = client.readToEnd()
                #expect(ending == .end)
                switch wireProtocol {
                case .greeting: #expect(bytes.count == 81, "client \(index)")
                case .request: #expect(bytes.count == index + 1 + 100, "client \(index)")
                case .http:
                    // Two responses: the bodies of index + 1 and 100 bytes after their heads. Searched as bytes: as a
                    // String, random body bytes may join the next head's first letter into one character.
                    let heads = bytes.ranges(of: Array("HTTP/1.1 200 OK\r\n".utf8)).count
                    #expect(heads == 2, "client \(index)")
                    #expect(bytes.firstRange(of: Array("Content-Length: \(index + 1)\r\n".utf8)) != nil)
                    #expect(bytes.firstRange(of: Array("Content-Length: 100\r\n".utf8)) != nil)
                case .echo: #expect(bytes == Self.echoContent(index), "client \(index)")
                // Two answers of one frame each (both under 16 KiB): two 8-byte frame heads and the bytes.
                case .multiplex: #expect(bytes.count == 8 + index + 1 + 8 + 100, "client \(index)")
                default: Issue.record("no exchange written for \(wireProtocol) here")
                }
            }
            let requests = wireProtocol.traits.exchange == .connection ? 200 : 400
            #expect(await eventually { server.counters.requests == requests })
            #expect(server.counters.connections == 200)
        }
    }
}
