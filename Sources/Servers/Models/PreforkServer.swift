import NIOCore
import SystemCalls
import TLS

#if canImport(Glibc)
import Glibc
#endif

/// Worker processes by posix_spawn of bench itself (not fork() of a threaded process, which may only exec), each a
/// blocking accept loop on one listening socket they all inherit: Apache's prefork in a few lines. Whichever worker
/// is free takes the next connection (the kernel wakes one waiting `accept`), so a worker held by a slow client
/// strands no one; with SO_REUSEPORT each worker would have had a queue of its own, and connections hashed to a busy
/// worker would wait for it. This process opens the socket, starts the workers, forwards the stop to them and sums
/// their counters; none outlives it, even killed with SIGKILL (``ParentWatch``).
final class PreforkServer: ServerModelType {
    static let name = "prefork"
    static let traits = ServerTraits(
        summary: "worker processes (one per core) started by posix_spawn, each a blocking accept loop on one shared socket",
        defaultThreads: System.coreCount, threadsAre: "worker processes", concurrentConnections: { $0 },
        busyCores: { $0 }, ownThreads: { _ in 1 }, listeningSockets: { _ in 1 }, blocksOnReads: true,
        servesInThisProcess: false)

    /// The option of `bench serve` that makes a process one of the workers: the descriptor of its listening socket.
    public static let workerOption = "--listen-fd"

    private struct Running: Sendable {
        let workers: [ChildProcess]
        /// The listening socket the workers share; this process never accepts from it.
        let listener: ListeningSocket
        let reader: PosixThread
        let tally: Tally
    }

    /// The last counters line of each worker, and when the reader must give up on a worker that does not end.
    private final class Tally: Sendable {
        let latest: Locked<[ServerCounters]>
        let giveUpAt = Locked<Double?>(nil)

        init(workers: Int) {
            latest = Locked(Array(repeating: ServerCounters(), count: workers))
        }
    }

    private let configuration: ServerConfiguration
    private let running = Locked<Running?>(nil)
    private let stopped = Locked(false)

    init(configuration: ServerConfiguration) {
        self.configuration = configuration
    }

    func start() async throws -> ServerAddress {
        let listener = try ListeningSocket(
            host: configuration.host, port: configuration.port, backlog: configuration.backlog)
        let port = listener.address.port
        let count = configuration.threads ?? Self.traits.defaultThreads
        var workers: [ChildProcess] = []
        var tlsFiles: WorkerTLSFiles?
        defer { tlsFiles?.remove() }
        do {
            tlsFiles = try configuration.tls.map(WorkerTLSFiles.init)
            for _ in 0..<count { workers.append(try spawnWorker(sharing: listener, tls: tlsFiles?.settings)) }
            for worker in workers { try Self.awaitListening(worker) }
        } catch {
            for worker in workers { worker.stop(timeoutSeconds: 2) }
            listener.close()
            throw error
        }
        let tally = Tally(workers: count)
        let descriptors = workers.compactMap(\.outputDescriptor)
        let reader: PosixThread
        do {
            reader = try PosixThread.spawn(name: "srv-pf-\(port)") { Self.read(descriptors, into: tally) }
        } catch {
            for worker in workers { worker.stop(timeoutSeconds: 2) }
            listener.close()
            throw ServerStartError(error.description)
        }
        running.withLock { $0 = Running(workers: workers, listener: listener, reader: reader, tally: tally) }
        return ServerAddress(host: configuration.host, port: port)
    }

    private func spawnWorker(sharing listener: ListeningSocket, tls: TLSSettings?) throws -> ChildProcess {
        let configuration = configuration
        let (readSeconds, readAtto) = configuration.readTimeout.components
        let (drainSeconds, drainAtto) = configuration.drainTimeout.components
        let arguments = [
            "serve", "--model", "blocking", "--protocol", configuration.wireProtocol.rawValue,
            "--host", configuration.host, "--port", String(listener.address.port),
            "--max-request", String(configuration.maxRequestBytes), "--max-streams", String(configuration.maxStreams),
            "--read-timeout", String(Double(readSeconds) + Double(readAtto) / 1e18),
            "--drain-timeout", String(Double(drainSeconds) + Double(drainAtto) / 1e18), Self.workerOption, "3",
        ] + (tls?.serveArguments ?? []) + (configuration.work.isNone ? [] : ["--work", configuration.work.text])
            + (configuration.leakBytesPerConnection > 0
                ? ["--leak-per-connection", String(configuration.leakBytesPerConnection)] : [])
        do {
            // In this process's group, so that the CPU of the group is the server's, workers included.
            return try ChildProcess(
                configuration.executable ?? Self.benchExecutable, arguments, stdout: .pipe, stderr: .discard,
                ownProcessGroup: false, environment: [ParentWatch.entry], inherits: [listener.descriptor])
        } catch {
            throw ServerStartError(error.description)
        }
    }

    /// This process's executable when it is bench, else the bench beside it: a test runner is not bench, but SwiftPM
    /// builds it next to it.
    static var benchExecutable: String {
        guard let own = ProcFile.ownExecutable else { return "/proc/self/exe" }
        if own.hasSuffix("/bench") { return own }
        let beside = String(own[...(own.lastIndex(of: "/") ?? own.startIndex)]) + "bench"
        return access(beside, X_OK) == 0 ? beside : own
    }

    /// Waits (10 s at most) for a worker's `listening` line.
    private static func awaitListening(_ worker: ChildProcess) throws {
        let line = worker.readFirstLine(timeoutSeconds: 10).line ?? ""
        guard line.hasPrefix("listening ") else {
            throw ServerStartError("a prefork worker did not start" + (line.isEmpty ? "" : ": \(line)"))
        }
    }

    /// The reader thread: every worker's `counters ...` lines, until every worker has closed its output (or, once a
    /// stop has begun, its deadline has passed).
    private static func read(_ descriptors: [Int32], into tally: Tally) {
        var pending = [[UInt8]](repeating: [], count: descriptors.count)
        var open = Set(descriptors.indices)
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !open.isEmpty {
            if let giveUp = tally.giveUpAt.withLock({ $0 }), MonotonicClock.seconds() > giveUp { return }
            var waiting = open.sorted().map { pollfd(fd: descriptors[$0], events: Int16(POLLIN), revents: 0) }
            guard poll(&waiting, nfds_t(waiting.count), 1000) > 0 else { continue }
            for (slot, entry) in zip(open.sorted(), waiting) where entry.revents != 0 {
                let count = chunk.withUnsafeMutableBytes { Glibc.read(entry.fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else {
                    open.remove(slot)
                    continue
                }
                pending[slot] += chunk[..<count]
                while let end = pending[slot].firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[slot][..<end], as: UTF8.self)
                    pending[slot].removeSubrange(...end)
                    if let counters = ServerCounters(counterLine: line) { tally.latest.withLock { $0[slot] = counters } }
                }
            }
        }
    }

    /// SIGTERM to every worker, which stops as `bench serve` does (the drain timeout, then its counters); waits for
    /// the reader to see them end (the drain timeout and 10 s at most), reaps them (a worker still running is
    /// killed), and gives the port back.
    func stop() async {
        guard let running = running.withLock({ $0 }), !stopped.withLock({ let was = $0; $0 = true; return was })
        else { return }
        for worker in running.workers { kill(worker.pid, SIGTERM) }
        let (seconds, _) = configuration.drainTimeout.components
        running.tally.giveUpAt.withLock { $0 = MonotonicClock.seconds() + Double(seconds) + 10 }
        running.reader.join()
        for worker in running.workers { worker.wait(timeoutSeconds: 1) }
        running.listener.close()
    }

    var counters: ServerCounters {
        guard let running = running.withLock({ $0 }) else { return ServerCounters() }
        return running.tally.latest.withLock { $0.reduce(into: ServerCounters()) { $0.add($1) } }
    }
}
