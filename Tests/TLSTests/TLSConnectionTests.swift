import Foundation
import Testing
import TLS

/// The engine as issue 24 asks for it, a client and a server joined in memory: the handshake, resumption, each
/// `--tls` option honoured or refused clearly, ALPN, the certificate check, close_notify and garbage.
@Suite struct TLSConnectionTests {
    @Test func fullHandshakeAgreesOnTheDefaultsAndCarriesBytesBothWays() throws {
        let serverContext = try TLSContext.server(TLSSettings())
        #expect(serverContext.keyType == "EC P-256", "the certificate made at start")
        let pair = try MemoryPair(client: try .client(TLSSettings()), server: serverContext)
        #expect(pair.bothDone, "\(pair.progress)")
        #expect(pair.client.isHandshakeDone && pair.server.isHandshakeDone)
        #expect(!pair.client.isResumed && !pair.server.isResumed)
        #expect(pair.client.version == "TLSv1.3" && pair.server.version == "TLSv1.3", "1.3 when both offer it")
        #expect(pair.client.peerKeyType == "EC P-256")
        #expect(pair.client.cipher == pair.server.cipher && pair.client.cipher.hasPrefix("TLS_"))
        #expect(pair.client.alpn == nil, "nothing offered, nothing agreed")

        #expect(pair.client.write(Array("ping".utf8)) == nil)
        pair.server.feed(pair.client.takeAllCiphertext())
        let atServer = pair.server.readAll()
        #expect(atServer.bytes == Array("ping".utf8) && atServer.ending == .needsInput)
        #expect(pair.server.write(Array("pong".utf8)) == nil)
        pair.client.feed(pair.server.takeAllCiphertext())
        #expect(pair.client.readAll().bytes == Array("pong".utf8))
    }

    @Test(arguments: TLSVersion.allCases)
    func secondConnectionOfferedTheFirstsSessionResumes(version: TLSVersion) throws {
        let server = try TLSContext.server(TLSSettings(version: version))
        let client = try TLSContext.client(TLSSettings(version: version))
        let first = try MemoryPair(client: client, server: server)
        #expect(first.bothDone && !first.server.isResumed)
        let session = try #require(first.clientSession(), "the server sent a session to resume")
        let second = try MemoryPair(client: client, server: server, resuming: session)
        #expect(second.bothDone, "\(second.progress)")
        #expect(second.client.isResumed && second.server.isResumed)
        #expect(second.client.version == "TLSv\(version.rawValue)")
    }

    @Test(arguments: TLSVersion.allCases)
    func serverWithoutResumptionDoesAFullHandshakeEveryTime(version: TLSVersion) throws {
        let server = try TLSContext.server(TLSSettings(version: version, resume: false))
        let client = try TLSContext.client(TLSSettings(version: version))
        let first = try MemoryPair(client: client, server: server)
        #expect(first.bothDone)
        // Under TLS 1.3 such a server sends no ticket at all, so the client may have nothing to offer; under 1.2 it
        // has a session, which the server must not take up.
        let second = try MemoryPair(client: client, server: server, resuming: first.clientSession())
        #expect(second.bothDone, "\(second.progress)")
        #expect(!second.client.isResumed && !second.server.isResumed)
        #expect(second.client.peerKeyType == "EC P-256", "a full handshake shows the certificate again")
    }

    @Test(arguments: TLSVersion.allCases)
    func serverHeldToOneVersionSpeaksIt(version: TLSVersion) throws {
        let pair = try MemoryPair(
            client: try .client(TLSSettings()), server: try .server(TLSSettings(version: version)))
        #expect(pair.bothDone, "\(pair.progress)")
        #expect(pair.client.version == "TLSv\(version.rawValue)" && pair.server.version == pair.client.version)
    }

    @Test(arguments: [(TLSVersion.v1_2, TLSVersion.v1_3), (.v1_3, .v1_2)])
    func sidesHeldToDifferentVersionsRefuseEachOther(server: TLSVersion, client: TLSVersion) throws {
        let pair = try MemoryPair(
            client: try .client(TLSSettings(version: client)), server: try .server(TLSSettings(version: server)))
        let reasons = [pair.progress.client.failure, pair.progress.server.failure].compactMap { $0 }
        #expect(reasons.count == 2, "\(pair.progress)")
        #expect(reasons.contains { $0.contains("protocol version") || $0.contains("unsupported protocol") }, "\(reasons)")
    }

    @Test(arguments: [
        (nil, "TLS_CHACHA20_POLY1305_SHA256"), (nil, "TLS_AES_128_GCM_SHA256"),
        (TLSVersion.v1_2, "ECDHE-ECDSA-CHACHA20-POLY1305"), (.v1_2, "ECDHE-ECDSA-AES256-GCM-SHA384"),
    ])
    func serverCiphersAreTheOnesAgreed(version: TLSVersion?, cipher: String) throws {
        let pair = try MemoryPair(
            client: try .client(TLSSettings()), server: try .server(TLSSettings(version: version, ciphers: cipher)))
        #expect(pair.bothDone, "\(pair.progress)")
        #expect(pair.client.cipher == cipher && pair.server.cipher == cipher)
    }

    @Test(arguments: TLSVersion.allCases, [("P-384", "secp384r1"), ("X25519", "x25519"), ("P-256", "secp256r1")])
    func serverGroupsAreTheOnesAgreed(version: TLSVersion, group: (option: String, name: String)) throws {
        // The client's first key share is X25519: a server that takes only P-384 makes TLS 1.3 retry its hello.
        let pair = try MemoryPair(
            client: try .client(TLSSettings(version: version)),
            server: try .server(TLSSettings(version: version, groups: group.option)))
        #expect(pair.bothDone, "\(pair.progress)")
        #expect(pair.client.group == group.name && pair.server.group == group.name, "\(pair.client.group) \(pair.server.group)")
    }

    @Test(arguments: [
        (TLSSettings(ciphers: "NO-SUCH-CIPHER"), "--ciphers NO-SUCH-CIPHER"),
        (TLSSettings(ciphers: "TLS_NO_SUCH_SUITE"), "--ciphers TLS_NO_SUCH_SUITE"),
        (TLSSettings(groups: "P-999"), "--groups P-999"),
        (TLSSettings(groups: "X25519:nosuchgroup"), "--groups X25519:nosuchgroup"),
    ])
    func unknownCipherOrGroupIsRefusedNamingTheOption(settings: TLSSettings, named: String) throws {
        for isServer in [true, false] {
            let error = #expect(throws: TLSError.self) {
                _ = isServer ? try TLSContext.server(settings) : try TLSContext.client(settings)
            }
            #expect(error?.description.hasPrefix(named) == true, "\(String(describing: error))")
        }
    }

    @Test(arguments: [(["http/1.1"], "http/1.1"), (["h2", "http/1.1"], "http/1.1"), (["h2"], nil), ([], nil)])
    func alpnAgreesOnHTTP11WhenTheClientOffersIt(offered: [String], agreed: String?) throws {
        let pair = try MemoryPair(
            client: try .client(TLSSettings(), alpn: offered), server: try .server(TLSSettings(), alpn: ["http/1.1"]))
        #expect(pair.bothDone, "a client offering nothing the server speaks still connects: \(pair.progress)")
        #expect(pair.client.alpn == agreed && pair.server.alpn == agreed)
    }

    @Test func clientCheckingAgainstTheServersCertificateAcceptsIt() throws {
        try withCertificateFiles { certificate, key in
            let server = try TLSContext.server(TLSSettings(certificateFile: certificate, keyFile: key))
            let client = try TLSContext.client(TLSSettings(caFile: certificate))
            let pair = try MemoryPair(client: client, server: server, serverName: "localhost")
            #expect(pair.bothDone, "\(pair.progress)")
        }
    }

    @Test func clientCheckingAgainstAnotherCARefusesTheServer() throws {
        try withCertificateFiles { certificate, key in
            try withCertificateFiles { otherCertificate, _ in
                let server = try TLSContext.server(TLSSettings(certificateFile: certificate, keyFile: key))
                let client = try TLSContext.client(TLSSettings(caFile: otherCertificate))
                let pair = try MemoryPair(client: client, server: server, serverName: "localhost")
                let reason = try #require(pair.progress.client.failure, "\(pair.progress)")
                #expect(reason.contains("certificate verify failed"), "\(reason)")
                #expect(pair.progress.server.failure != nil, "the client's alert ends the server's side too")
            }
        }
    }

    @Test func closeNotifyReadsAsClosed() throws {
        let pair = try MemoryPair(client: try .client(TLSSettings()), server: try .server(TLSSettings()))
        #expect(pair.bothDone)
        #expect(pair.server.write(Array("last".utf8)) == nil)
        pair.server.close()
        pair.client.feed(pair.server.takeAllCiphertext())
        let (bytes, ending) = pair.client.readAll()
        #expect(bytes == Array("last".utf8), "what was sent before close_notify arrives")
        #expect(ending == .closed && pair.client.peerClosed)
    }

    @Test(arguments: [1, 20])
    func recordCutShortIsHeldUntilItsRestArrives(cut: Int) throws {
        let pair = try MemoryPair(client: try .client(TLSSettings()), server: try .server(TLSSettings()))
        #expect(pair.bothDone)
        #expect(pair.client.write(Array("ping".utf8)) == nil)
        let record = pair.client.takeAllCiphertext()
        pair.server.feed(Array(record.dropLast(cut)))
        let early = pair.server.readAll()
        #expect(early.bytes.isEmpty && early.ending == .needsInput)
        // What tells a stream cut inside a record from one ended at a record's edge.
        #expect(pair.server.holdsUnreadInput, "part of a record is held")
        pair.server.feed(Array(record.suffix(cut)))
        #expect(pair.server.readAll().bytes == Array("ping".utf8))
        #expect(!pair.server.holdsUnreadInput)
    }

    @Test(arguments: [
        Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8),
        // A handshake record whose ClientHello is four bytes of nonsense.
        [0x16, 0x03, 0x01, 0x00, 0x08, 0x01, 0x00, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef],
        (0..<512).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) },
    ])
    func garbageFailsTheHandshake(garbage: [UInt8]) throws {
        let server = try TLSConnection(try .server(TLSSettings()))
        server.feed(garbage)
        #expect(server.handshake().failure != nil)
        #expect(!server.isHandshakeDone)

        let client = try TLSConnection(try .client(TLSSettings()))
        #expect(client.handshake() == .needsInput, "its ClientHello is owed")
        client.feed(garbage)
        #expect(client.handshake().failure != nil, "garbage in place of a ServerHello")
    }
}

/// Runs `body` with the PEM files of a certificate made for the test (its certificate, its key), removed afterwards.
func withCertificateFiles(_ body: (String, String) throws -> Void) throws {
    let made = try SelfSignedCertificate()
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tls-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(at: folder) }
    let certificate = folder.appendingPathComponent("cert.pem").path
    let key = folder.appendingPathComponent("key.pem").path
    try made.certificatePEM.write(toFile: certificate, atomically: false, encoding: .utf8)
    try made.keyPEM.write(toFile: key, atomically: false, encoding: .utf8)
    try body(certificate, key)
}
