import Servers
import Testing
import Wire

/// The thread-pool model with its queue full: one worker busy, one connection queued, and a third that finds no room.
extension ServerTests {
    @Test(arguments: QueueFullPolicy.allCases)
    func threadPoolCountsAFullQueue(policy: QueueFullPolicy) async throws {
        try await withRunningServer(
            ServerModel(rawValue: "thread-pool")!,
            configure: {
                $0.threads = 1
                $0.queueCapacity = 1
                $0.queueFullPolicy = policy
                // The clients held open wait through `eventually`s, which Swift's cooperative threads, held by the
                // suites' blocking tests, can stretch past the default 5 s.
                $0.readTimeout = .seconds(60)
            }
        ) { server, port in
            // `busy` holds the only worker: it has been answered, and its connection stays open.
            let busy = try TestClient(port: port)
            #expect(busy.sendRequests([16]))
            #expect(busy.read(exactly: 16) != nil)
            let queued = try TestClient(port: port)
            #expect(await eventually { server.counters.connections == 2 })
            let third = try TestClient(port: port)
            // Accepted while the worker is still held by `busy`: the acceptor finds the queue full.
            #expect(await eventually { server.counters.connections == 3 })
            if policy == .reject {
                let (bytes, ending) = third.readToEnd()
                #expect(bytes.isEmpty && ending != .timedOut, "refused at once")
                #expect(server.counters.queueFull == 1)
            }
            busy.halfClose()
            #expect(busy.readToEnd().ending == .end)
            for client in policy == .reject ? [queued] : [queued, third] {
                #expect(client.sendRequests([16]))
                client.halfClose()
                let (bytes, ending) = client.readToEnd()
                #expect(bytes.count == 16 && ending == .end)
            }
            // Waiting, the acceptor found the queue full once, then queued `third` when `queued` left it. It counts
            // that just after queueing, so a worker may have served `third` a moment before the count moves.
            #expect(await eventually { server.counters.queueFull == 1 })
        }
    }
}
