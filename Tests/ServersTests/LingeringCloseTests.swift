@testable import Servers
import SystemCalls
import Testing
import Wire

#if canImport(Glibc)
import Glibc
#endif

/// Every model closes after a refusal by the one ``LingeringClose`` policy: its output first, then the whole once the
/// client ends, 64 KiB have been dropped or a second has passed, so that a comparison of models is not one of policies.
/// The moment of the whole close is seen from the client: a byte sent after it draws a reset, and the next send fails.
extension ServerTests {
    /// Sends a byte every 20 ms until a send fails (at most 10 s); the seconds that took. On a thread of its own, so
    /// that the other suites' work on Swift's cooperative threads cannot delay the sends it times.
    private static func secondsUntilReset(_ client: TestClient) async -> Double {
        let descriptor = client.descriptor
        return await PosixThread.offload("test-linger") {
            let started = MonotonicClock.nanos()
            var byte: UInt8 = 0x41
            while MonotonicClock.nanos() - started < 10_000_000_000 && send(descriptor, &byte, 1, Int32(MSG_NOSIGNAL)) == 1 {
                usleep(20_000)
            }
            return Double(MonotonicClock.nanos() - started) / 1e9
        }
    }

    /// A refused client that stays silent but keeps its connection open: the server holds it for the policy's second,
    /// not less (the blocking models once lingered a tenth of a second) and not much more.
    @Test(arguments: ServerModel.allCases)
    func aRefusedClientIsHeldForTheLingeringTime(model: ServerModel) async throws {
        try await withRunningServer(model, protocol: .http) { server, port in
            let refused = try TestClient(port: port)
            #expect(refused.send(Array("BAD REQUEST\r\n\r\n".utf8)))
            let (answer, ending) = refused.readToEnd()  // the 400, then the server's FIN: the lingering begins
            #expect(String(decoding: answer, as: UTF8.self).hasPrefix("HTTP/1.1 400 "), "\(answer.count) bytes")
            #expect(ending == .end)
            let held = await Self.secondsUntilReset(refused)
            let limit = Double(LingeringClose.durationNanos) / 1e9
            #expect(held >= limit - 0.1, "\(model) closed after \(held) s")
            // The sweep of the epoll model looks four times a second; a loaded machine adds a little.
            #expect(held < limit + 1.5, "\(model) closed after \(held) s")
        }
    }

    /// A refused client that goes on sending is dropped once the policy's 64 KiB are read, long before its second.
    @Test(arguments: ServerModel.allCases)
    func aRefusedClientThatKeepsSendingIsClosedAfterTheByteLimit(model: ServerModel) async throws {
        try await withRunningServer(model, protocol: .http) { server, port in
            let refused = try TestClient(port: port)
            #expect(refused.send(Array("BAD REQUEST\r\n\r\n".utf8)))
            #expect(refused.readToEnd().ending == .end)
            // Twice the limit, all at once: the server drops the first 64 KiB and closes with the rest unread.
            _ = refused.send([UInt8](repeating: 0x41, count: 2 * LingeringClose.byteLimit))
            let held = await Self.secondsUntilReset(refused)
            #expect(held < 0.9, "\(model) closed after \(held) s")
        }
    }
}
