@testable import Servers
import Testing
import Wire

/// Faults and stops, run against every model: a stalled client, a vanishing client, and a stop that must leave
/// nothing behind.
extension ServerTests {
    @Test(arguments: ServerModel.allCases)
    func stalledHalfHeaderDoesNotStopOthers(model: ServerModel) async throws {
        try await withRunningServer(model, configure: { $0.readTimeout = .milliseconds(300) }) { server, port in
            let stalled = try TestClient(port: port)
            #expect(stalled.send([0, 0]))  // half a header, then nothing
            // The blocking model serves this one only once the read timeout has freed it from the stalled one.
            let other = try TestClient(port: port)
            #expect(other.sendRequests([16]))
            other.halfClose()
            let (bytes, ending) = other.readToEnd()
            #expect(bytes.count == 16 && ending == .end)
            if model.traits.blocksOnReads {
                #expect(stalled.readToEnd().ending == .end, "the read timeout closes the stalled connection")
                #expect(await eventually { server.counters.readTimeouts == 1 })
            }
        }
    }

    @Test(arguments: ServerModel.allCases)
    func clientVanishingMidResponseDoesNotStopOthers(model: ServerModel) async throws {
        try await withRunningServer(model) { server, port in
            let vanishing = try TestClient(port: port)
            #expect(vanishing.sendRequests([UInt32(Self.maxRequest), UInt32(Self.maxRequest)]))
            #expect(vanishing.read(exactly: 1) != nil)  // the answer is on its way
            vanishing.reset()
            #expect(await eventually { server.counters.resets == 1 })
            let other = try TestClient(port: port)
            #expect(other.sendRequests([4096]))
            other.halfClose()
            let (bytes, ending) = other.readToEnd()
            #expect(bytes.count == 4096 && ending == .end)
        }
    }

    @Test(arguments: ServerModel.allCases)
    func stopLeavesNoThreadOrSocketBehind(model: ServerModel) async throws {
        if let reason = model.unavailable { try Test.cancel("\(model) is unavailable here: \(reason)") }
        var configuration = ServerConfiguration(protocol: .request, port: 0, drainTimeout: .milliseconds(200))
        // Only the drain ends the idle client: the waits below, which Swift's cooperative threads (held by the suites'
        // blocking tests) can stretch, must not meet the default 5 s read timeout first.
        configuration.readTimeout = .seconds(60)
        let traits = model.traits
        if traits.threadsAre != nil { configuration.threads = 2 }
        let threads = configuration.threads ?? traits.defaultThreads
        let server = model.makeServer(configuration)
        let port = try await server.start().port
        // Threads name themselves as they start, which may be just after start() returns.
        let own = traits.ownThreads(threads)
        #expect(await eventually { ProcessCensus(port: port).serverThreads == own }, "\(ProcessCensus(port: port))")
        #expect(ProcessCensus(port: port).serverSockets == traits.listeningSockets(threads), "the listeners")
        // One client fully served, and one left mid-header, which only the drain timeout ends.
        let served = try TestClient(port: port)
        #expect(served.sendRequests([16]))
        #expect(served.read(exactly: 16) != nil)
        let idle = try TestClient(port: port)
        #expect(idle.send([0]))
        // A model that serves one connection at a time still serves the first; the second waits unaccepted.
        let connections = traits.servesInThisProcess ? min(2, traits.concurrentConnections(threads) ?? 2) : 0
        let listeners = traits.listeningSockets(threads)
        #expect(await eventually { ProcessCensus(port: port).serverSockets == listeners + connections })

        await server.stop()
        #expect(
            await eventually {
                let after = ProcessCensus(port: port)
                return after.serverThreads == 0 && after.serverSockets == 0
            })
        #expect(idle.readToEnd().ending != .timedOut, "the stop closed the idle connection")
        #expect((try? TestClient(port: port)) == nil, "nothing listens any more")
        await server.stop()  // a second stop does nothing
    }
}

extension ServerTests {
    @Test(arguments: ServerModel.allCases)
    func pipelinerThatNeverReadsIsNotAnsweredIntoMemory(model: ServerModel) async throws {
        try await withRunningServer(model) { server, port in
            let greedy = try TestClient(port: port)
            // 4,096 requests of 1 MiB (4 GiB owed) in one 16 KiB write, and not one byte read.
            #expect(greedy.sendRequests(Array(repeating: UInt32(Self.maxRequest), count: 4096)))
            #expect(await eventually { server.counters.bytesSent > 0 })
            // What the server sends stops growing once the socket buffers are full: wait for that (two readings
            // 200 ms apart that agree, within the deadline), then check where it stopped.
            var previous = -1
            let settled = await eventually(every: .milliseconds(200)) {
                let now = server.counters.bytesSent
                defer { previous = now }
                return now == previous
            }
            #expect(settled, "what the server sent never stopped growing")
            // What has left is what the socket buffers hold (a few MiB on loopback), not the 4 GiB asked for: the
            // event loop writes only while the channel is writable, the blocking models block in send.
            #expect(server.counters.bytesSent < 64 << 20, "\(server.counters.bytesSent) bytes sent")
            greedy.reset()
            #expect(await eventually { server.counters.resets == 1 }, "the server noticed the client leave")
        }
    }
}
