import Servers
import SystemCalls
import Testing
import Wire

/// A server that stops says so on each HTTP/2 connection (GOAWAY NO_ERROR naming the last stream it took) and
/// finishes the streams in flight before it closes, on every model.
///
/// Nested in ``ServerTests``, so serialized with its census of server threads (event loops are counted by name).
extension ServerTests {
    @Suite(.timeLimit(.minutes(1)))
    struct HTTP2StopTests {
        /// Far longer than the stop may take here: a stop that waited for it would be one that forced the
        /// connection closed instead of finishing it.
        static let drainTimeout = Duration.seconds(10)

        @Test(arguments: ServerModel.allCases)
        func aStreamInFlightIsFinishedAfterGoaway(model: ServerModel) async throws {
            try await withRunningServer(model, protocol: .h2, configure: { $0.drainTimeout = Self.drainTimeout }) {
                server, port in try await Self.stopWithAStreamInFlight(server, port: port)
            }
        }

        /// A function, not the test's closure: Swift 6.3 crashes on a task started in that closure, and miscompiles
        /// an `async let` there.
        static func stopWithAStreamInFlight(_ server: any Server, port: Int) async throws {
            let client = try TestClient(port: port, timeoutSeconds: 3)
            // A stream window of 0: the server answers the head and owes the body until the client opens the window,
            // so the stream is in flight, and known by the client to be, when the stop begins; and a thread model's
            // thread waits in a read.
            #expect(client.send(H2.preface + H2.settings([(4, 0)]) + H2.get("/bytes/1000", stream: 1)))
            let head = client.readFrames { $0.stream == 1 && $0.type == H2.FrameType.headers.rawValue }
            #expect(head.contains { $0.stream == 1 && $0.type == H2.FrameType.headers.rawValue })
            let began = ContinuousClock.now
            // On a thread of its own: the client's reads below block this one, and the suites' blocking tests can
            // hold Swift's other cooperative thread past the client's 3 s timeout.
            let stopping = Task(executorPreference: QueueExecutor("test-stop")) {
                await server.stop()
                return ContinuousClock.now
            }
            let frames = client.readFrames { $0.type == H2.FrameType.goaway.rawValue }
            let goaway = frames.first { $0.type == H2.FrameType.goaway.rawValue }
            #expect(goaway?.code == H2.Code.noError.rawValue, "\(frames.map(\.type))")
            #expect(goaway?.lastStream == 1, "the stream in flight was taken")
            #expect(client.send(H2.windowUpdate(1, by: 1000)))
            let (rest, ending) = client.readFrames()
            let body = rest.filter { $0.stream == 1 && $0.type == H2.FrameType.data.rawValue }
            #expect(body.reduce(0) { $0 + $1.payload.count } == 1000, "the whole answer: \(rest.map(\.type))")
            #expect(body.last.map { $0.flags & H2.Flag.endStream != 0 } == true)
            #expect(ending == .end, "closed once the stream is finished")
            client.halfClose()  // the server's lingering close ends at the client's end
            let stopped = await stopping.value
            #expect(stopped - began < drainTimeout / 2, "finished, not forced at the drain timeout")
        }
    }
}
