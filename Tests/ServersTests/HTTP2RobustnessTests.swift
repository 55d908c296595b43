import Servers
import Testing
import Wire

/// Issue 27's hostile HTTP/2 clients, against every model serving h2c. Each is answered with the GOAWAY or
/// RST_STREAM code read back here from the socket, and the server then serves an honest client on a fresh connection.
///
/// Memory stays bounded because the server ends an abusive connection itself, within a deadline: the attacking
/// client never closes and never half-closes, and its reads wait 3 s, under the server's 5 s read timeout, so a
/// server that kept acknowledging, decoding or queueing for it (holding what it owes while the client does not read)
/// would leave the client waiting and fail the test. Everything a session holds lives no longer than its
/// connection. Where the answer is a flood of acknowledgements, the frames the server wrote are counted too.
///
/// Nested in ``ServerTests``, so serialized with its census of server threads (event loops are counted by name).
extension ServerTests {
    @Suite(.timeLimit(.minutes(1)))
    struct HTTP2RobustnessTests {
        /// The client's preface and an empty SETTINGS: what every connection here starts with.
        static let opening = H2.preface + H2.settings()

        /// Sends `attack` on a fresh connection without reading, then reads until the server's end.
        static func answer(to attack: [UInt8], port: Int) throws -> (frames: [H2.Frame], ending: TestClient.Ending) {
            let attacker = try TestClient(port: port, timeoutSeconds: 3)
            // The server may close before it has read all (a reset then ends the send): either is fine.
            attacker.send(attack)
            return attacker.readFrames()
        }

        /// The connection ended with GOAWAY `code`, closed by the server within the client's 3 s, and an honest
        /// client is then served.
        static func expectGoaway(
            _ code: H2.Code, _ frames: [H2.Frame], _ ending: TestClient.Ending, server: any Server, port: Int
        ) async throws {
            let goaway = frames.last { $0.type == H2.FrameType.goaway.rawValue }
            #expect(goaway?.code == code.rawValue, "\(frames.map(\.type))")
            #expect(ending != .timedOut, "closed by the server, not held open")
            #expect(await eventually { server.counters.protocolErrors >= 1 }, "\(server.counters)")
            #expect(try TestClient.h2Served(port: port), "an honest client after the attack")
        }

        /// CVE-2023-44487: each request reset as soon as it is sent, so the server starts work it never finishes.
        @Test(arguments: ServerModel.allCases)
        func rapidResetIsCalmedWithGoaway(model: ServerModel) async throws {
            try await withRunningServer(model, protocol: .h2) { server, port in
                // 300 streams: over the server's allowance of 100 resets beyond its answers, under nghttp2's own
                // burst of 1,000, so that it is the server's policy that answers.
                let attack = Self.opening + (0..<300).flatMap { index -> [UInt8] in
                    let stream = UInt32(2 * index + 1)
                    return H2.get("/bytes/1", stream: stream) + H2.reset(stream, .cancel)
                }
                let (frames, ending) = try Self.answer(to: attack, port: port)
                try await Self.expectGoaway(.enhanceYourCalm, frames, ending, server: server, port: port)
            }
        }

        /// CVE-2024-27316: a header block that never ends, CONTINUATION after CONTINUATION, each adding a field.
        @Test(arguments: ServerModel.allCases)
        func continuationFloodIsCalmedWithGoaway(model: ServerModel) async throws {
            try await withRunningServer(model, protocol: .h2) { server, port in
                // `x: y`, a literal field not indexed (RFC 7541 §6.2.2), in each of 1,000 CONTINUATIONs.
                let field: [UInt8] = [0x00] + H2.string([0x78]) + H2.string([0x79])
                let attack = Self.opening
                    + H2.frame(.headers, flags: H2.Flag.endStream, stream: 1, H2.getFields("/bytes/1"))
                    + (0..<1000).flatMap { _ in H2.frame(.continuation, stream: 1, field) }
                let (frames, ending) = try Self.answer(to: attack, port: port)
                #expect(!frames.contains { $0.type == H2.FrameType.headers.rawValue }, "the request is not answered")
                try await Self.expectGoaway(.enhanceYourCalm, frames, ending, server: server, port: port)
            }
        }

        /// Frames the server must acknowledge, a SETTINGS flood and a PING flood: one frame of each.
        static let floods = ["SETTINGS": H2.settings(), "PING": H2.frame(.ping, [UInt8](repeating: 7, count: 8))]

        /// 900 frames one after another, whose ACKs the client never reads while it sends.
        @Test(arguments: ServerModel.allCases, floods.keys.sorted())
        func ackFloodIsCalmedWithGoaway(model: ServerModel, flood: String) async throws {
            let frame = Self.floods[flood]!
            try await withRunningServer(model, protocol: .h2) { server, port in
                let (frames, ending) = try Self.answer(to: Self.opening + (0..<900).flatMap { _ in frame }, port: port)
                let acks = frames.filter { $0.type == frame[3] && $0.flags & H2.Flag.ack != 0 }
                #expect(acks.count <= 101, "acknowledged no more than its allowance, not all 900")
                try await Self.expectGoaway(.enhanceYourCalm, frames, ending, server: server, port: port)
            }
        }

        /// An HPACK bomb: a 4,000-byte value put in the dynamic table, then named 12,000 times by one byte each, a
        /// 16 KiB frame that decodes to 48 MB of fields. The stream is reset once its list passes the server's limit
        /// (16 KiB, its SETTINGS_MAX_HEADER_LIST_SIZE); the connection goes on.
        @Test(arguments: ServerModel.allCases)
        func hpackBombResetsItsStream(model: ServerModel) async throws {
            try await withRunningServer(model, protocol: .h2) { server, port in
                // `x-bomb: aaa…` with incremental indexing, a new name (RFC 7541 §6.2.1): dynamic entry 62, named
                // again by the indexed field 0xBE.
                let bomb = H2.getFields("/bytes/1") + [0x40] + H2.string(Array("x-bomb".utf8))
                    + H2.string([UInt8](repeating: 0x61, count: 4000)) + [UInt8](repeating: 0xBE, count: 12_000)
                let client = try TestClient(port: port, timeoutSeconds: 3)
                #expect(client.send(Self.opening + H2.frame(.headers, flags: 0x5, stream: 1, bomb)))
                let frames = client.readFrames { $0.type == H2.FrameType.rstStream.rawValue }
                let reset = frames.first { $0.type == H2.FrameType.rstStream.rawValue }
                #expect(reset?.stream == 1 && reset?.code == H2.Code.enhanceYourCalm.rawValue, "\(frames.map(\.type))")
                #expect(!frames.contains { $0.type == H2.FrameType.headers.rawValue }, "the bomb is not answered")
                // The same connection goes on (its dynamic table still holding the entry).
                #expect(client.send(H2.get("/bytes/1", stream: 3)))
                let next = client.readFrames { $0.stream == 3 && $0.flags & H2.Flag.endStream != 0 }
                #expect(next.contains { $0.stream == 3 && $0.type == H2.FrameType.data.rawValue }, "\(next.map(\.type))")
                // Ended by the client, so that a model serving one connection at a time turns to the next.
                client.halfClose()
                #expect(client.readFrames().ending == .end)
                #expect(await eventually { server.counters.protocolErrors >= 1 }, "\(server.counters)")
                #expect(try TestClient.h2Served(port: port), "an honest client after the attack")
            }
        }

        /// WINDOW_UPDATE past 2^31-1: on a stream, RST_STREAM FLOW_CONTROL_ERROR; on the connection, GOAWAY
        /// FLOW_CONTROL_ERROR (RFC 9113 §6.9.1).
        @Test(arguments: ServerModel.allCases)
        func windowUpdateOverflowIsAFlowControlError(model: ServerModel) async throws {
            try await withRunningServer(model, protocol: .h2) { server, port in
                // A stream window of 2^31-1 (SETTINGS_INITIAL_WINDOW_SIZE): the server sends at most the connection's
                // 65,535 bytes of the MiB, so 65,536 more takes the stream past the largest window however far it
                // got.
                let client = try TestClient(port: port, timeoutSeconds: 3)
                #expect(
                    client.send(
                        H2.preface + H2.settings([(4, 0x7FFF_FFFF)]) + H2.get("/bytes/1048576", stream: 1)
                            + H2.windowUpdate(1, by: 65_536)))
                let frames = client.readFrames { $0.type == H2.FrameType.rstStream.rawValue }
                let reset = frames.first { $0.type == H2.FrameType.rstStream.rawValue }
                #expect(reset?.stream == 1 && reset?.code == H2.Code.flowControlError.rawValue, "\(frames.map(\.type))")
                #expect(!frames.contains { $0.type == H2.FrameType.goaway.rawValue }, "the connection goes on")
                // Then the connection's window, twice: the second passes the largest at the latest, as the reset
                // stream takes nothing of the first. (Sent together with the stream's, nghttp2's GOAWAY would go
                // out before the reset and end the session with it unsent.)
                #expect(client.send(H2.windowUpdate(0, by: 0x7FFF_FFFF) + H2.windowUpdate(0, by: 0x7FFF_FFFF)))
                let (rest, ending) = client.readFrames()
                try await Self.expectGoaway(.flowControlError, rest, ending, server: server, port: port)
            }
        }

        /// A stream past SETTINGS_MAX_CONCURRENT_STREAMS: refused alone (RST_STREAM REFUSED_STREAM) while the client
        /// has not acknowledged the limit, a connection error (GOAWAY PROTOCOL_ERROR) once it has (RFC 9113 §5.1.2
        /// allows either).
        @Test(arguments: ServerModel.allCases)
        func streamsPastTheLimitAreRefused(model: ServerModel) async throws {
            try await withRunningServer(model, protocol: .h2, configure: { $0.maxStreams = 2 }) { server, port in
                let client = try TestClient(port: port, timeoutSeconds: 3)
                // A stream window of 0: the two streams the limit allows stay open, owed their bodies.
                let three = (0..<3).flatMap { H2.get("/bytes/100", stream: UInt32(2 * $0 + 1)) }
                #expect(client.send(H2.preface + H2.settings([(4, 0)]) + three))
                let frames = client.readFrames { $0.type == H2.FrameType.rstStream.rawValue }
                let reset = frames.first { $0.type == H2.FrameType.rstStream.rawValue }
                #expect(reset?.stream == 5 && reset?.code == H2.Code.refusedStream.rawValue, "\(frames.map(\.type))")
                #expect(!frames.contains { $0.type == H2.FrameType.goaway.rawValue }, "the connection goes on")
                #expect(client.send(H2.frame(.settings, flags: H2.Flag.ack) + H2.get("/bytes/100", stream: 7)))
                let (rest, ending) = client.readFrames()
                try await Self.expectGoaway(.protocolError, rest, ending, server: server, port: port)
            }
        }

        /// A client that asks for 8 MiB, never reads, and keeps sending a frame that asks for nothing (a PING's ACK
        /// every 50 ms) is closed as a client that does not read, one read timeout (300 ms) after its answers stopped
        /// moving: the server reads on while answers wait, and what it reads then is not the client's progress.
        @Test(arguments: ServerModel.allCases)
        func aClientThatDoesNotReadIsClosedWhileItSendsFrames(model: ServerModel) async throws {
            try await withRunningServer(model, protocol: .h2, configure: { $0.readTimeout = .milliseconds(300) }) {
                server, port in
                let client = try TestClient(port: port)
                // Windows of 1 GiB, so that the answers wait on the socket, not on flow control.
                let path = "/bytes/\(WireDefaults.maxRequestBytes)"
                let streams = (0..<UInt32(8)).flatMap { H2.get(path, stream: 2 * $0 + 1) }
                #expect(client.send(H2.preface + H2.settings([(id: 4, value: 1 << 30)])
                    + H2.windowUpdate(0, by: 1 << 30) + streams))
                let pingAck = H2.frame(.ping, flags: 1, [UInt8](repeating: 7, count: 8))
                // Three seconds of it at most, ten read timeouts; it ends sooner once the server counts the timeout
                // or has closed (a send then fails).
                var pings = 0
                while pings < 60, server.counters.writeTimeouts == 0, client.send(pingAck) {
                    pings += 1
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(pings < 60, "closed while the client still sent")
                #expect(await eventually { server.counters.writeTimeouts == 1 }, "\(server.counters)")
                #expect(try TestClient.h2Served(port: port), "an honest client after it")
            }
        }

        /// A client that speaks HTTP/1.1 to the h2c port: GOAWAY PROTOCOL_ERROR, then the close.
        @Test(arguments: ServerModel.allCases)
        func badPrefaceIsAProtocolError(model: ServerModel) async throws {
            try await withRunningServer(model, protocol: .h2) { server, port in
                let (frames, ending) = try Self.answer(
                    to: Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8), port: port)
                try await Self.expectGoaway(.protocolError, frames, ending, server: server, port: port)
            }
        }
    }
}
