import Testing

@testable import Servers

/// What only the io_uring model has: receives into a provided buffer ring, whose buffers must go back to it.
@Suite struct IOUringTests {
    static let model = ServerModel(rawValue: "io-uring")!

    /// One request at a time, each answered before the next is sent, so that every request comes in a receive (and
    /// a buffer) of its own: four times as many as the ring has. A buffer not given back would leave the ring
    /// empty after the first `bufferCount`, and the connection would stall.
    @Test(.enabled(if: model.unavailable == nil, "io_uring is unavailable on this system"))
    func manyMoreReceivesThanProvidedBuffersAllComplete() async throws {
        let requests = 4 * Int(IOUringRing.bufferCount)
        try await withRunningServer(Self.model, protocol: .request, configure: { $0.threads = 1 }) { server, port in
            let client = try TestClient(port: port)
            for index in 0..<requests {
                client.sendRequests([16])
                guard client.read(exactly: 16) != nil else {
                    Issue.record("request \(index + 1) of \(requests) was not answered")
                    return
                }
            }
            #expect(await eventually { server.counters.requests == requests }, "\(server.counters)")
        }
    }
}
