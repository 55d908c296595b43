import ArgumentParser
import Driver
import Foundation
import Servers
import Synchronization
import SystemCalls
import Wire

#if canImport(Glibc)
import Glibc
#endif

extension Bench {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one server model until SIGINT, SIGTERM or SIGHUP, then print its counters on stderr "
                + "(SIGUSR1: print them now and go on).",
            discussion: """
                Once it accepts connections it prints one line on stdout:
                  listening 127.0.0.1:PORT model=MODEL protocol=PROTOCOL [tls=on]
                Models:
                \(ServerModel.allCases.map { "  \($0.rawValue): \($0.traits.summary)" }.joined(separator: "\n"))
                """
        )

        @Option(help: "Server model (the list below).")
        var model = ServerModel(rawValue: "event-loop")!

        @Option(
            name: .customLong("protocol"),
            help: ArgumentHelp("What is said on each connection: \(WireProtocol.names) (docs/PROTOCOL.md)."))
        var wireProtocol = WireProtocol.greeting

        @Option(help: "Address to listen on: IPv4, IPv6 (::1) or a name, resolved before it listens.")
        var host = WireDefaults.host

        @Option(help: "Port to listen on; 0 picks a free one (printed in the listening line).")
        var port = WireDefaults.port

        @Option(help: "Listen backlog of each listening socket (the kernel caps it at net.core.somaxconn).")
        var backlog = ServerConfiguration.defaultBacklog

        @Option(help: ArgumentHelp(Self.threadsHelp))
        var threads: Int?

        @Option(name: .customLong("max-threads"), help: "Threads the thread-per-connection model runs at most.")
        var maxThreads = ServerConfiguration.defaultMaxThreads

        @Option(name: .customLong("max-request"), help: "Largest n a request may ask for, and largest HTTP body, in bytes.")
        var maxRequestBytes = Int(WireDefaults.maxRequestBytes)

        @Option(
            name: .customLong("max-streams"),
            help: "h2: streams a client may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS).")
        var maxStreams = Int(WireDefaults.maxStreams)

        @Option(
            name: .customLong("read-timeout"),
            help: ArgumentHelp(
                "How long a stalled client may hold a connection (5s, 500ms): a blocking read or write; in HTTP on "
                    + "every model an idle client, a request not whole since its first byte, output that makes no "
                    + "progress."))
        var readTimeout = "5s"

        @Option(name: .customLong("queue-capacity"), help: "Connections the thread-pool acceptor may queue.")
        var queueCapacity = ServerConfiguration.defaultQueueCapacity

        @Option(
            name: .customLong("queue-full"),
            help: ArgumentHelp(
                "When the thread-pool queue is full: wait (the acceptor waits for room) or reject (the new "
                    + "connection is closed at once)."))
        var queueFullPolicy = QueueFullPolicy.wait

        @Option(name: .customLong("drain-timeout"), help: "How long a stop lets connections in progress finish (2s).")
        var drainTimeout = "2s"

        @Option(
            help: ArgumentHelp(
                "Work before each answer (greeting, echo: each connection): cpu=D burns CPU on the serving thread, "
                    + "wait=D waits on a backend (a thread blocks, an event loop arms a timer), block=D sleeps on the "
                    + "serving thread whatever the model; D is 50us, 1ms-3ms, exp:1ms or 150us:90%,2ms:10%. "
                    + "Example: cpu=50us,wait=1ms.",
                valueName: "spec"))
        var work: String?

        @OptionGroup(title: "TLS") var tls: ServeTLSOptions

        /// A worker of a prefork server: the listening socket it was given, and it reports its counters on stdout.
        @Option(name: .customLong("listen-fd"), help: .private)
        var listeningDescriptor: Int32?

        /// Leak this many bytes per connection: the deliberately leaking server that `bench soak`'s test must catch.
        @Option(name: .customLong("leak-per-connection"), help: .private)
        var leakBytesPerConnection = 0

        /// What --threads means, model by model, from the registry.
        static var threadsHelp: String {
            let models = ServerModel.allCases.compactMap { model in
                model.traits.threadsAre.map { "\($0) (\(model.rawValue), default \(model.defaultThreads))" }
            }
            return "Serving threads: " + models.joined(separator: ", ") + "; the other models take none."
        }

        func validate() throws {
            guard (try? SocketAddress.resolve(host, port: port)) != nil else {
                throw ValidationError("--host \(host) is not an address this machine can resolve; use one such as "
                    + "127.0.0.1 or ::1.")
            }
            guard (0...65535).contains(port) else { throw ValidationError("--port must be within 0...65535.") }
            guard backlog >= 1 else { throw ValidationError("--backlog must be at least 1.") }
            if let threads, !model.traits.allows(threads: threads) {
                throw ValidationError(
                    model.traits.threadsAre == nil
                        ? "--threads does not apply to the \(model) model (\(model.traits.summary))."
                        : "--threads must be at least 1.")
            }
            guard maxThreads >= 1 else { throw ValidationError("--max-threads must be at least 1.") }
            guard (1...Int(UInt32.max)).contains(maxRequestBytes) else {
                throw ValidationError("--max-request must be within 1...\(UInt32.max) bytes.")
            }
            guard (1...Int(Int32.max)).contains(maxStreams) else {
                throw ValidationError("--max-streams must be within 1...\(Int32.max).")
            }
            guard try timeouts().read > .zero else { throw ValidationError("--read-timeout must be more than 0s.") }
            guard queueCapacity >= 1 else { throw ValidationError("--queue-capacity must be at least 1.") }
            _ = try workPlan()
        }

        /// What `--work` asks for; none without it.
        func workPlan() throws -> WorkPlan {
            guard let work else { return WorkPlan() }
            do {
                return try Units.work(work)
            } catch {
                throw ValidationError(error.description + ".")
            }
        }

        /// The read and drain timeouts, as durations such as `5s` or `500ms` (a bare number is seconds).
        func timeouts() throws -> (read: Duration, drain: Duration) {
            do {
                let read = try Units.durationMicros(readTimeout, option: "--read-timeout")
                let drain = try Units.durationMicros(drainTimeout, option: "--drain-timeout")
                return (.microseconds(read), .microseconds(drain))
            } catch {
                throw ValidationError(error.description)
            }
        }

        func run() async throws {
            ParentWatch.adopt()
            raiseDescriptorLimit()
            var configuration = ServerConfiguration(
                protocol: wireProtocol, host: try SocketAddress.resolve(host, port: port).host, port: port,
                backlog: backlog, threads: threads, maxRequestBytes: UInt32(maxRequestBytes),
                readTimeout: try timeouts().read, queueCapacity: queueCapacity,
                queueFullPolicy: queueFullPolicy, drainTimeout: try timeouts().drain, maxThreads: maxThreads,
                listeningDescriptor: listeningDescriptor, tls: tls.settings, work: try workPlan(),
                maxStreams: UInt32(maxStreams))
            configuration.leakBytesPerConnection = leakBytesPerConnection
            let preforkWorker = listeningDescriptor != nil
            let server = model.makeServer(configuration)
            // Before the listening line: whoever reads it may send SIGTERM at once.
            let signals: TerminationSignals
            let counterRequests: any DispatchSourceSignal
            do {
                signals = try TerminationSignals()
                // SIGUSR1 asks for the counters so far while the server goes on: how a long run's operator (or a test
                // waiting for a refusal to be counted) sees them without stopping it.
                counterRequests = try RegisteredSignal.watch(SIGUSR1) { Self.writeCounters(server) }
            } catch {
                throw Failure(message: error.description, code: 1)
            }
            defer { counterRequests.cancel() }
            let address: ServerAddress
            do {
                address = try await server.start()
            } catch let unavailable as ServerUnavailable {
                throw Failure(message: "\(model): \(unavailable)", code: 1)  // the one line compare and check look for
            }
            print("listening \(address) model=\(model.rawValue) protocol=\(wireProtocol.rawValue)"
                + (configuration.tls == nil ? "" : " tls=on"))
            fflush(nil)  // stdout into a pipe is block-buffered, and the reader waits for this line
            let stopReporting = preforkWorker ? Self.report(server) : nil
            _ = await signals.wait()
            await server.stop()
            stopReporting?()
            if preforkWorker { Self.printCounters(server) }
            Self.writeCounters(server)
        }

        /// The counters line on stderr, in one write so that lines asked for at once do not interleave.
        private static func writeCounters(_ server: any Server) {
            let counters = Array((server.counters.keyValueLine + "\n").utf8)
            _ = write(STDERR_FILENO, counters, counters.count)
        }

        /// A prefork worker's counters line on stdout, ten times a second, for its parent to sum. On a thread of its
        /// own, whose sleep needs no descriptor: Dispatch opens a timerfd when its clock's first timer is armed, which
        /// a worker whose descriptors are all taken then cannot get, and the sleep ends only when something else wakes
        /// Dispatch (the worker's refusals went uncounted). Should no thread start, the parent sees the worker's
        /// counters once, when it stops.
        private static func report(_ server: any Server) -> (() -> Void)? {
            let stopping = StopFlag()
            let thread = try? PosixThread.spawn(name: "counter-report") {
                while !stopping.isSet.load(ordering: .relaxed) {
                    printCounters(server)
                    usleep(100_000)
                }
            }
            guard let thread else { return nil }
            return {  // within the 100 ms of a sleep
                stopping.isSet.store(true, ordering: .relaxed)
                thread.join()
            }
        }

        private static func printCounters(_ server: any Server) {
            print("counters " + server.counters.keyValueLine)
            fflush(nil)  // a pipe to the parent: block-buffered otherwise
        }
    }
}

extension ServerModel: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(rawValue: argument)
    }

    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension QueueFullPolicy: ExpressibleByArgument {}

/// What ends a prefork worker's thread of counters lines.
private final class StopFlag: Sendable {
    let isSet = Atomic(false)
}
