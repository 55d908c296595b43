import Foundation
import Servers
import Testing
import TLS
import Wire

/// Issue 24's hostile TLS clients, against every model serving the request protocol over TLS: each is answered with
/// an alert or a close, counted, and the server then serves an honest TLS client as before.
///
/// Nested in ``ServerTests``, so serialized with its census of server threads (event loops are counted by name).
extension ServerTests {
    @Suite(.timeLimit(.minutes(1)))
    struct TLSRobustnessTests {
        /// A short read timeout, so that a stalled handshake is freed within the test.
        static func configure(_ configuration: inout ServerConfiguration) {
            configuration.tls = TLSSettings()
            configuration.readTimeout = .seconds(1)
        }

        /// A real ClientHello, as the first bytes a client sends.
        static func clientHello() throws -> [UInt8] {
            let client = try TLSConnection(try .client(TLSSettings()))
            #expect(client.handshake() == .needsInput)
            var hello = [UInt8](repeating: 0, count: 1 << 12)
            let count = hello.withUnsafeMutableBytes { client.takeCiphertext(into: $0) }
            #expect(count > 0 && client.owedCiphertext == 0, "a ClientHello fits 4 KiB")
            return Array(hello[..<count])
        }

        /// An honest client is served whole after the fault, and its handshake is the `handshakes`th counted.
        static func expectServed(by server: any Server, port: Int, handshakes: Int = 1) async throws {
            let problem = try TLSTestClient(port: port).exchangeAndClose()
            #expect(problem == nil, "the honest client after the fault")
            #expect(await eventually { server.counters.tlsHandshakes == handshakes }, "\(server.counters)")
        }

        @Test(arguments: ServerModel.allCases)
        func plaintextToATLSPortIsClosedAndCounted(model: ServerModel) async throws {
            try await withRunningServer(model, configure: Self.configure) { server, port in
                let plain = try TestClient(port: port)
                #expect(plain.send(Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)))
                let (bytes, ending) = plain.readToEnd()
                #expect(ending != .timedOut, "closed, not left waiting")
                #expect(!bytes.starts(with: Array("HTTP".utf8)), "no plaintext answer")
                #expect(await eventually { server.counters.tlsFailures == 1 }, "\(server.counters)")
                try await Self.expectServed(by: server, port: port)
            }
        }

        @Test(arguments: ServerModel.allCases)
        func garbageClientHelloIsAlertedAndCounted(model: ServerModel) async throws {
            try await withRunningServer(model, configure: Self.configure) { server, port in
                let garbage = try TestClient(port: port)
                // A handshake record whose ClientHello is four bytes of nonsense.
                #expect(garbage.send([0x16, 0x03, 0x01, 0x00, 0x08, 0x01, 0x00, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef]))
                let (bytes, ending) = garbage.readToEnd()
                #expect(ending == .end)
                // One record of type 21 (alert), level 2 (fatal), before the close.
                #expect(bytes.count == 7 && bytes.first == 21 && bytes.dropFirst(5).first == 2, "\(bytes)")
                #expect(await eventually { server.counters.tlsFailures == 1 }, "\(server.counters)")
                try await Self.expectServed(by: server, port: port)
            }
        }

        @Test(arguments: ServerModel.allCases)
        func stalledHalfClientHellosAreFreedByTheHandshakeTimeout(model: ServerModel) async throws {
            // As many as the model serves at once where it serves a bounded number (more would only queue, each
            // batch costing a read timeout), else hundreds.
            let stalledCount = model.traits.concurrentConnections(model.defaultThreads) ?? 500
            try await withRunningServer(model, configure: Self.configure) { server, port in
                let hello = try Self.clientHello()
                var stalled: [TestClient] = []
                for _ in 0..<stalledCount {
                    let client = try TestClient(port: port, timeoutSeconds: 1)
                    #expect(client.send(Array(hello.prefix(hello.count / 2))))
                    stalled.append(client)
                }
                // Served once the handshake timeout has freed a thread where every one was held, at once elsewhere.
                try await Self.expectServed(by: server, port: port)
                let freed = await eventually { server.counters.headerTimeouts == stalledCount }
                #expect(freed, "every stalled handshake was timed out: \(server.counters)")
                // Only once they are closed: hundreds of reads that each wait for a timeout would outlast the test.
                if freed {
                    #expect(stalled.allSatisfy { $0.readToEnd() == ([], .end) }, "closed without an answer")
                }
                #expect(server.counters.tlsFailures == 0, "a timeout is not a TLS failure")
            }
        }

        @Test(arguments: ServerModel.allCases)
        func resetMidHandshakeIsCounted(model: ServerModel) async throws {
            try await withRunningServer(model, configure: Self.configure) { server, port in
                let vanishing = try TestClient(port: port)
                #expect(vanishing.send(try Self.clientHello()))
                #expect(vanishing.read(exactly: 1) != nil, "the server's flight is on its way")
                vanishing.reset()
                #expect(await eventually { server.counters.resets == 1 }, "\(server.counters)")
                #expect(server.counters.tlsFailures == 0, "a client that vanishes is a reset, as in plaintext")
                try await Self.expectServed(by: server, port: port)
            }
        }

        @Test(arguments: ServerModel.allCases)
        func recordCutByTheClientsEndIsAFailure(model: ServerModel) async throws {
            try await withRunningServer(model, configure: Self.configure) { server, port in
                let cutting = try TLSTestClient(port: port)
                #expect(cutting.handshake() == .done)
                #expect([0, 0, 0, 16].withUnsafeBytes { cutting.connection.write($0) } == nil)
                let record = cutting.takeOwedCiphertext()
                #expect(cutting.socket.send(Array(record.dropLast(3))))
                cutting.socket.halfClose()
                let (bytes, ending) = cutting.read()
                #expect(bytes.isEmpty, "a request cut short is not answered")
                #expect(ending != .closed, "nor is the stream ended as if whole")
                #expect(await eventually { server.counters.tlsFailures == 1 }, "\(server.counters)")
                try await Self.expectServed(by: server, port: port, handshakes: 2)
            }
        }

        /// Records the session has not taken yet when the client's end comes (it takes the next request once the
        /// last is answered) are still read and answered: the end waits for them. Told at once, TLS would take them
        /// for a record cut short (the io_uring model receives while a send is in flight).
        @Test(arguments: ServerModel.allCases)
        func recordsWaitingWhenTheClientsEndComesAreAllAnswered(model: ServerModel) async throws {
            try await withRunningServer(model, configure: Self.configure) { server, port in
                let client = try TLSTestClient(port: port)
                #expect(client.handshake() == .done)
                let requests = 32
                for _ in 0..<requests {
                    #expect(([0, 0, 0x40, 0] as [UInt8]).withUnsafeBytes { client.connection.write($0) } == nil)
                }
                #expect(client.socket.send(client.takeOwedCiphertext()))
                client.socket.halfClose()
                let (bytes, _) = client.read()
                #expect(bytes.count == requests << 14, "\(server.counters)")
                #expect(await eventually { server.counters.requests == requests }, "\(server.counters)")
                #expect(server.counters.tlsFailures == 0)
            }
        }

        @Test(arguments: ServerModel.allCases)
        func megabyteOfRandomBytesAfterTheHandshakeIsOneFailure(model: ServerModel) async throws {
            try await withRunningServer(model, configure: Self.configure) { server, port in
                let noisy = try TLSTestClient(port: port)
                #expect(noisy.handshake() == .done)
                var noise = [UInt8](repeating: 0, count: 1 << 20)
                var random = WyRand(seed: 5)
                noise.withUnsafeMutableBytes { random.fill($0) }
                // The server may close before it has all (a reset then ends the send): either is fine.
                noisy.socket.send(noise)
                let (bytes, ending) = noisy.read()
                #expect(bytes.isEmpty && ending != .closed, "an alert or a close, no answer")
                #expect(await eventually { server.counters.tlsFailures == 1 }, "\(server.counters)")
                try await Self.expectServed(by: server, port: port, handshakes: 2)
            }
        }

        @Test(arguments: ServerModel.allCases)
        func renegotiationIsRefused(model: ServerModel) async throws {
            guard let openssl = Self.executable("openssl") else {
                print("renegotiationIsRefused(\(model)) skipped: no openssl executable on PATH")
                return
            }
            try await withRunningServer(model, configure: Self.configure) { server, port in
                // s_client renegotiates when its input says R; it quits once the server's refusal ends the
                // connection. Input stays open meanwhile: its end would make s_client quit on its own.
                let client = Process()
                client.executableURL = URL(fileURLWithPath: openssl)
                client.arguments = ["s_client", "-connect", "127.0.0.1:\(port)", "-tls1_2"]
                let input = Pipe()
                let errors = Pipe()
                client.standardInput = input
                client.standardOutput = FileHandle.nullDevice
                client.standardError = errors
                try client.run()
                input.fileHandleForWriting.write(Data("R\n".utf8))
                let quit = await eventually(within: 10) { !client.isRunning }
                if !quit { client.terminate() }
                try input.fileHandleForWriting.close()
                client.waitUntilExit()
                let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                #expect(quit, "s_client still connected: the renegotiation went through")
                #expect(said.contains("RENEGOTIATING") && said.contains("no renegotiation"), "\(said)")
                #expect(await eventually { server.counters.tlsFailures == 1 }, "\(server.counters)")
                #expect(server.counters.tlsHandshakes == 1, "one handshake, not two")
                try await Self.expectServed(by: server, port: port, handshakes: 2)
            }
        }

        /// The path of `name` in a folder of PATH, nil when none has it.
        static func executable(_ name: String) -> String? {
            let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            return folders.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }
    }
}
