import ArgumentParser
import Servers
import SystemCalls
import Wire

#if canImport(Glibc)
import Glibc
#endif

extension Bench {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one server model until SIGINT or SIGTERM, then print its counters on stderr.",
            discussion: """
                Once it accepts connections it prints one line on stdout:
                  listening 127.0.0.1:PORT model=MODEL protocol=PROTOCOL
                """
        )

        @Option(help: "Server model: \(ServerModel.allCases.map(\.rawValue).joined(separator: ", ")).")
        var model = ServerModel.eventLoop.rawValue

        @Option(name: .customLong("protocol"), help: "What is said on each connection: greeting, request or http.")
        var wireProtocol = WireProtocol.greeting.rawValue

        @Option(help: "Address to listen on: IPv4, IPv6 (::1) or a name, resolved once.")
        var host = WireDefaults.host

        @Option(help: "Port to listen on; 0 picks a free one (printed in the listening line).")
        var port = WireDefaults.port

        @Option(help: "Listen backlog of each listening socket (the kernel caps it at net.core.somaxconn).")
        var backlog = ServerConfiguration.defaultBacklog

        @Option(
            help: ArgumentHelp(
                "Serving threads: workers (thread-pool, default \(ServerModel.threadPool.defaultThreads)) or "
                    + "event loops (event-loop, default one per core); blocking has exactly 1."))
        var threads: Int?

        @Option(name: .customLong("max-request"), help: "Largest n a request may ask for, in bytes.")
        var maxRequestBytes = Int(WireDefaults.maxRequestBytes)

        @Option(
            name: .customLong("read-timeout"),
            help: ArgumentHelp(
                "Seconds a blocking read or write waits for a stalled client before closing it (blocking, thread-pool)."
            ))
        var readTimeoutSeconds = 5.0

        @Option(name: .customLong("queue-capacity"), help: "Connections the thread-pool acceptor may queue.")
        var queueCapacity = ServerConfiguration.defaultQueueCapacity

        @Option(
            name: .customLong("queue-full"),
            help: ArgumentHelp(
                "When the thread-pool queue is full: wait (the acceptor waits for room) or reject (the new "
                    + "connection is closed at once)."))
        var queueFullPolicy = QueueFullPolicy.wait.rawValue

        @Option(name: .customLong("drain-timeout"), help: "Seconds a stop lets connections in progress finish.")
        var drainTimeoutSeconds = 2.0

        func validate() throws {
            func oneOf<Choice: RawRepresentable<String> & CaseIterable>(_ type: Choice.Type) -> String {
                Choice.allCases.map(\.rawValue).joined(separator: ", ")
            }
            guard let model = ServerModel(rawValue: model) else {
                throw ValidationError("--model \(model) is unknown; use one of \(oneOf(ServerModel.self)).")
            }
            guard WireProtocol(rawValue: wireProtocol) != nil else {
                throw ValidationError("--protocol \(wireProtocol) is unknown; use one of \(oneOf(WireProtocol.self)).")
            }
            guard (try? SocketAddress.resolve(host, port: port)) != nil else {
                throw ValidationError("--host \(host) is not an address this machine can resolve; use one such as "
                    + "127.0.0.1 or ::1.")
            }
            guard (0...65535).contains(port) else { throw ValidationError("--port must be within 0...65535.") }
            guard backlog >= 1 else { throw ValidationError("--backlog must be at least 1.") }
            if let threads, !model.allowsThreads(threads) {
                throw ValidationError(
                    model == .blocking
                        ? "--threads must be 1 for the blocking model, which serves one connection at a time."
                        : "--threads must be at least 1.")
            }
            guard (1...Int(UInt32.max)).contains(maxRequestBytes) else {
                throw ValidationError("--max-request must be within 1...\(UInt32.max) bytes.")
            }
            guard readTimeoutSeconds > 0 else { throw ValidationError("--read-timeout must be more than 0 seconds.") }
            guard queueCapacity >= 1 else { throw ValidationError("--queue-capacity must be at least 1.") }
            guard QueueFullPolicy(rawValue: queueFullPolicy) != nil else {
                throw ValidationError("--queue-full \(queueFullPolicy) is unknown; use \(oneOf(QueueFullPolicy.self)).")
            }
            guard drainTimeoutSeconds >= 0 else { throw ValidationError("--drain-timeout must be 0 seconds or more.") }
        }

        func run() async throws {
            raiseDescriptorLimit()
            let model = ServerModel(rawValue: model)!
            let configuration = ServerConfiguration(
                protocol: WireProtocol(rawValue: wireProtocol)!, host: try SocketAddress.resolve(host, port: port).host,
                port: port, backlog: backlog,
                threads: threads, maxRequestBytes: UInt32(maxRequestBytes), readTimeout: .seconds(readTimeoutSeconds),
                queueCapacity: queueCapacity, queueFullPolicy: QueueFullPolicy(rawValue: queueFullPolicy)!,
                drainTimeout: .seconds(drainTimeoutSeconds))
            // Before the listening line: whoever reads it may send SIGTERM at once.
            let signals = TerminationSignals()
            let server = model.makeServer(configuration)
            let address = try await server.start()
            print("listening \(address) model=\(model.rawValue) protocol=\(configuration.wireProtocol.rawValue)")
            fflush(nil)  // stdout into a pipe is block-buffered, and the reader waits for this line
            _ = await signals.wait()
            await server.stop()
            let counters = Array((server.counters.keyValueLine + "\n").utf8)
            _ = write(STDERR_FILENO, counters, counters.count)
        }
    }
}
