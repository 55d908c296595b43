import Foundation
import Servers
import SystemCalls
import Testing
import Wire

#if canImport(Glibc)
import Glibc
#endif

/// `--work`: what each model does with a request that costs something. Each test's bound follows from how the model
/// schedules, not from how fast this machine is: a lower bound the work itself forces, or an upper bound a whole
/// wait (100 ms and more) away from it, so that two cores shared with other suites cannot blur the two.
@Suite(.timeLimit(.minutes(1)))
struct RequestWorkTests {
    /// `clients` request-protocol clients connect and, once the server has accepted all of them (accepting and
    /// setting up a hundred channels takes a debug build of SwiftNIO tens of milliseconds), each sends one 16-byte
    /// request and half-closes at once; returns the seconds from the first send until every answer was read.
    private static func allAnswered(_ server: any Server, port: Int, clients count: Int) async throws -> Double {
        let clients = try (0..<count).map { _ in try TestClient(port: port) }
        #expect(await eventually { server.counters.connections == count })
        let start = MonotonicClock.seconds()
        for client in clients {
            #expect(client.sendRequests([16]))
            client.halfClose()
        }
        for client in clients { #expect(client.read(exactly: 16) != nil) }
        return MonotonicClock.seconds() - start
    }

    /// A server for ``allAnswered(_:port:clients:)`` doing `work`. Its clients wait connected and silent until the
    /// server has accepted all of them, an `eventually` that a loaded machine (Swift's cooperative threads held by the
    /// suites' blocking tests) has stretched past the default 5 s read timeout, which then closed the first of them.
    private static func serving(_ work: WorkPlan, threads: Int? = nil) -> (inout ServerConfiguration) -> Void {
        { configuration in
            configuration.work = work
            configuration.readTimeout = .seconds(60)
            if let threads { configuration.threads = threads }
        }
    }

    /// With `wait=250ms` and 100 requests at once, a pool of 64 threads serves them in two waves, each thread blocked
    /// for a whole wait; a thread per connection and the event loops wait for all of them at once. (A long wait: a
    /// debug build of SwiftNIO takes up to 80 ms to read a hundred requests and answer them beside other suites.)
    @Test(arguments: ["thread-pool", "thread-per-connection", "event-loop", "event-loop-pool", "epoll"])
    func waitsTakeWavesOnlyWhereThreadsAreFew(model: String) async throws {
        let model = try #require(ServerModel(rawValue: model))
        try await withRunningServer(model, configure: Self.serving(WorkPlan(wait: .fixed(250_000_000)))) {
            server, port in
            let seconds = try await Self.allAnswered(server, port: port, clients: 100)
            let waves = model.traits.concurrentConnections(model.defaultThreads).map { (100 + $0 - 1) / $0 } ?? 1
            #expect(seconds >= Double(waves) * 0.25, "\(model): all answered in \(seconds) s")
            if waves == 1 { #expect(seconds < 0.5, "\(model): all answered in \(seconds) s, more than one wait") }
            #expect(await eventually { server.counters.workDone == 100 })
            #expect(server.counters.workWaitMicros == 100 * 250_000)
        }
    }

    /// `block=50ms` is slept on whatever thread serves: one event loop serves six such requests one after the other,
    /// while the model that hands them to its pool sleeps them side by side.
    @Test(arguments: ["event-loop", "epoll", "event-loop-pool"])
    func blockingSerializesAnEventLoopUnlessAPoolTakesIt(model: String) async throws {
        let model = try #require(ServerModel(rawValue: model))
        try await withRunningServer(model, configure: Self.serving(WorkPlan(block: .fixed(50_000_000)), threads: 1)) {
            server, port in
            let seconds = try await Self.allAnswered(server, port: port, clients: 6)
            if model.rawValue == "event-loop-pool" {
                #expect(seconds < 0.3, "the pool slept them one after the other: \(seconds) s")
            } else {
                #expect(seconds >= 0.3, "one loop answered six blocked requests in \(seconds) s")
            }
            #expect(await eventually { server.counters.workDone == 6 })
            #expect(server.counters.workBlockMicros == 6 * 50_000)
        }
    }

    /// `cpu=5ms` is CPU burned, not time slept: ten requests cost the server at least 50 ms of CPU, on its own
    /// thread clock (the counter) and in the process's CPU time (where the model serves in this process).
    @Test(arguments: ServerModel.allCases)
    func cpuWorkCostsTheAskedCPU(model: ServerModel) async throws {
        try await withRunningServer(model, configure: { $0.work = WorkPlan(cpu: .fixed(5_000_000)) }) { server, port in
            let before = Self.processCPUSeconds()
            let client = try TestClient(port: port)
            #expect(client.sendRequests(Array(repeating: 16, count: 10)))
            client.halfClose()
            #expect(client.read(exactly: 160) != nil)
            let spent = Self.processCPUSeconds() - before
            #expect(await eventually { server.counters.workDone == 10 })
            #expect(server.counters.workCPUMicros >= 50_000, "\(server.counters.workCPUMicros) us counted")
            if model.traits.servesInThisProcess { #expect(spent >= 0.05, "the process spent \(spent) s of CPU") }
        }
    }

    /// A greeting's work is its connection's: the frame comes a whole wait after the connection, on every model.
    @Test(arguments: ServerModel.allCases)
    func aGreetingWaitsBeforeItsFrame(model: ServerModel) async throws {
        let configure: (inout ServerConfiguration) -> Void = { $0.work = WorkPlan(wait: .fixed(100_000_000)) }
        try await withRunningServer(model, protocol: .greeting, configure: configure) { server, port in
            let start = MonotonicClock.seconds()
            let client = try TestClient(port: port)
            #expect(client.read(exactly: Greeting.frameLength) != nil)
            #expect(MonotonicClock.seconds() - start >= 0.1)
            #expect(await eventually { server.counters.workDone == 1 })
        }
    }

    private static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
