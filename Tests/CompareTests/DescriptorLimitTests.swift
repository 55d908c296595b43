import Foundation
import Servers
import SystemCalls
import Testing

@testable import Compare

/// Every model at its descriptor limit: it counts the refused accepts (EMFILE), keeps serving the connections it has,
/// does not spin on a listener that stays readable (it backs off 10 ms), and serves new clients once descriptors are
/// free again.
///
/// A model that serves any number of connections at once gets a limit of 64 at its start (`ulimit -n`) and 100
/// clients. One that serves only as many as it has threads (blocking, prefork, thread-pool) never holds more
/// descriptors than that, however many clients come, so its limit is lowered while it runs (prlimit) to the lowest
/// descriptor number it left free when idle, with every thread busy with a client (a thread waiting in `accept` has
/// its descriptor taken already, before the limit moved). The kernel refuses a descriptor whose number reaches the
/// limit, not a count, so no free number may lie below it.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct DescriptorLimitTests {
    @Test(arguments: ServerModel.allCases)
    func aServerAtItsDescriptorLimitCountsRefusalsAndRecovers(model: ServerModel) async throws {
        if let reason = model.unavailable { try Test.cancel("\(model) is unavailable here: \(reason)") }
        let threads = Self.threads(of: model)
        let busy = model.traits.concurrentConnections(threads)
        let server = try LimitedServer(model, threads: threads, startLimit: busy == nil ? 64 : nil)
        defer { server.stop() }
        let processes = try await server.processes(model)
        var clients: [Int32] = []
        defer { for client in clients { close(client) } }
        let limited: ContinuousClock.Instant
        var restore: () throws -> Void = {}
        if let busy {
            let idle = try processes.map { try DescriptorLimit.lowestFree(in: $0) }
            for _ in 0..<busy { clients.append(try LoopbackSocket.connect(port: server.port)) }
            #expect(clients.allSatisfy(Self.echoes), "the first clients were not all served")
            let limits = try zip(processes, idle).map { try DescriptorLimit.lower(of: $0, to: $1) }
            restore = { for (process, limit) in zip(processes, limits) { try DescriptorLimit.set(limit, of: process) } }
            limited = .now
            #expect(Self.echoes(clients[0]), "a connection it had was not served at the limit")
            // Closed, so that each thread goes back to accept, and finds no descriptor.
            for client in clients { shutdown(client, Int32(SHUT_RDWR)) }
        } else {
            limited = .now
        }
        // Clients beyond what the limit lets it accept wait in the listen queue, each with a byte sent.
        let waiting = try (0..<100).map { _ in try LoopbackSocket.connect(port: server.port) }
        clients += waiting
        for client in waiting {
            var byte = UInt8(ascii: "w")
            _ = send(client, &byte, 1, Int32(MSG_NOSIGNAL))
        }
        let refused = await server.eventuallyCounts { $0.acceptErrors >= 1 }
        #expect(refused, "no refused accept was counted")
        // Which clients got in is the kernel's to choose among several listening sockets; how many is not.
        let served = try await Self.served(waiting, atLeast: busy == nil ? 1 : 0)
        if busy == nil { #expect(served >= 1, "no connection it had was served at the limit") }
        #expect(served < waiting.count, "every client was accepted beyond the limit")

        for client in waiting { shutdown(client, Int32(SHUT_RDWR)) }
        try restore()
        let atLimit = ContinuousClock.now - limited
        let later = try LoopbackSocket.connect(port: server.port)
        clients.append(later)
        #expect(Self.echoes(later), "a new client was not served once descriptors were free")

        let counters = try #require(server.stopAndReadCounters(), "no counters line")
        // A back-off of 10 ms allows 100 refusals a second per listening socket and per process; spinning on the
        // readable listener makes tens of thousands.
        let sockets = max(model.traits.listeningSockets(threads), 1) * processes.count
        let seconds = Double(atLimit.components.seconds) + Double(atLimit.components.attoseconds) / 1e18
        let bound = Int((seconds + 0.1) * 100 + 2) * sockets
        #expect((1...bound).contains(counters.acceptErrors), "accept_errors \(counters.acceptErrors), bound \(bound)")
    }

    /// A server stopped at its descriptor limit gives its idle connections the drain timeout (3 s; their read timeout
    /// is longer), no less and not much more: nothing its stop waits on needs a descriptor it would have to open.
    /// (Its polls slept by `Task.sleep`, and Dispatch opens a clock's timerfd when its first timer is armed:
    /// thread-per-connection, whose stop has no other timer, ended 0.6 s or 3.7 s into a drain of 3 s.)
    @Test(arguments: ServerModel.allCases.filter { $0.traits.concurrentConnections(2) == nil })
    func aServerStoppedAtItsDescriptorLimitDrainsOnTime(model: ServerModel) async throws {
        if let reason = model.unavailable { try Test.cancel("\(model) is unavailable here: \(reason)") }
        let threads = Self.threads(of: model)
        let server = try LimitedServer(
            model, threads: threads, startLimit: 64, arguments: ["--drain-timeout", "3", "--read-timeout", "60"])
        defer { server.stop() }
        let clients = try (0..<100).map { _ in try LoopbackSocket.connect(port: server.port) }
        defer { for client in clients { close(client) } }
        let atLimit = await server.eventuallyCounts { $0.acceptErrors >= 1 }
        try #require(atLimit, "no refused accept was counted")
        let stopping = ContinuousClock.now
        let counters = server.stopAndReadCounters()
        let took = ContinuousClock.now - stopping
        #expect(counters != nil, "no counters line")
        #expect(took >= .seconds(3), "stopped in \(took), before the drain timeout")
        #expect(took < .seconds(4.5), "stopped in \(took)")
    }

    /// Two threads (or workers) where the model takes a number, else its own.
    private static func threads(of model: ServerModel) -> Int {
        model.traits.allows(threads: 2) ? 2 : model.traits.defaultThreads
    }

    /// How many of `clients` have had their byte back, waiting up to 10 s until `least` have.
    private static func served(_ clients: [Int32], atLeast least: Int) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(10)
        var served: Set<Int32> = []
        repeat {
            served.formUnion(clients.filter { !served.contains($0) && receives($0, within: 0) })
            if served.count < least { try await Task.sleep(for: .milliseconds(20)) }
        } while served.count < least && ContinuousClock.now < deadline
        return served.count
    }

    /// Sends a byte and says whether it comes back within 10 s (echo protocol).
    private static func echoes(_ fd: Int32) -> Bool {
        var byte = UInt8(ascii: "e")
        return send(fd, &byte, 1, Int32(MSG_NOSIGNAL)) == 1 && receives(fd, within: 10)
    }

    /// Whether a byte arrives on `fd` within `seconds` (0: is one there now).
    private static func receives(_ fd: Int32, within seconds: Double) -> Bool {
        var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&waiting, 1, Int32(seconds * 1000)) == 1 else { return false }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) == 1
    }
}

/// `bench serve --protocol echo` of one model as a child process, with its stderr in a file that SIGUSR1 adds its
/// counters to.
private final class LimitedServer {
    let child: ChildProcess
    let port: in_port_t
    private let threads: Int
    private let errorsPath = FileManager.default.temporaryDirectory
        .appendingPathComponent("limit-stderr-\(UUID().uuidString)").path

    /// `startLimit`: RLIMIT_NOFILE from its start, soft and hard (so that bench serve cannot raise it). `arguments`:
    /// more options of bench serve.
    init(_ model: ServerModel, threads: Int, startLimit: Int?, arguments: [String] = []) throws {
        self.threads = threads
        let threadArguments = model.traits.threadsAre == nil ? [] : ["--threads", String(threads)]
        let serve = [
            BenchProcess.executable.path, "serve", "--model", model.rawValue, "--protocol", "echo", "--port", "0",
        ] + threadArguments + arguments
        let command = startLimit.map { ["/bin/sh", "-c", "ulimit -n \($0) && exec \"$@\"", "sh"] + serve } ?? serve
        child = try ChildProcess(command[0], Array(command.dropFirst()), stdout: .pipe, stderr: .file(errorsPath))
        let line = try #require(child.readFirstLine(timeoutSeconds: 30).line, "no listening line")
        let address = try #require(line.split(separator: " ").dropFirst().first, "\(line)")
        port = in_port_t(try #require(UInt16(address.split(separator: ":").last ?? ""), "\(line)")).bigEndian
    }

    /// The server and the processes below it: a prefork server's workers, which accept, once all have started.
    func processes(_ model: ServerModel) async throws -> [pid_t] {
        let workers = model.traits.servesInThisProcess ? 0 : threads
        let deadline = ContinuousClock.now + .seconds(10)
        var below = ProcessTree.below(child.pid)
        while below.count < workers && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            below = ProcessTree.below(child.pid)
        }
        try #require(below.count == workers, "\(below.count) processes below the server, not \(workers)")
        return [child.pid] + below.map(\.pid)
    }

    /// Asks for the counters (SIGUSR1) every 50 ms until `condition` holds of them, for at most 10 s.
    func eventuallyCounts(_ condition: (ServerCounters) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            kill(child.pid, SIGUSR1)
            try? await Task.sleep(for: .milliseconds(50))
            if let counters = lastCounters(), condition(counters) { return true }
        }
        return false
    }

    /// Stops the server (SIGTERM) and returns the counters it printed last.
    func stopAndReadCounters() -> ServerCounters? {
        child.stop(timeoutSeconds: 10)
        return lastCounters()
    }

    func stop() {
        child.stop(timeoutSeconds: 10)
        try? FileManager.default.removeItem(atPath: errorsPath)
    }

    /// The last whole counters line on stderr.
    private func lastCounters() -> ServerCounters? {
        let text = (try? String(contentsOfFile: errorsPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").reversed().lazy
            .compactMap { ServerCounters(keyValueLine: String($0)) }.first
    }
}

/// RLIMIT_NOFILE of another process (prlimit(2), a GNU extension that Swift's Glibc module leaves out, so looked up
/// at run time as the servers look up accept4).
private enum DescriptorLimit {
    private typealias Prlimit = @convention(c) (pid_t, Int32, UnsafePointer<rlimit>?, UnsafeMutablePointer<rlimit>?)
        -> Int32

    private static let prlimit: Prlimit? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "prlimit")
        .map { unsafeBitCast($0, to: Prlimit.self) }

    /// The lowest descriptor number `pid` has free now.
    static func lowestFree(in pid: pid_t) throws -> Int {
        let open = Set(try #require(ProcFile.entries("/proc/\(pid)/fd"), "no /proc/\(pid)/fd").compactMap(Int.init))
        return (0...).first { !open.contains($0) }!
    }

    /// Sets the soft limit of `pid` to `limit`; returns the limits it had.
    static func lower(of pid: pid_t, to limit: Int) throws -> rlimit {
        let call = try #require(prlimit, "the C library has no prlimit")
        var old = rlimit()
        try #require(call(pid, Int32(RLIMIT_NOFILE.rawValue), nil, &old) == 0, "prlimit of \(pid)")
        var lowered = old
        lowered.rlim_cur = rlim_t(limit)
        try set(lowered, of: pid)
        return old
    }

    static func set(_ limit: rlimit, of pid: pid_t) throws {
        let call = try #require(prlimit, "the C library has no prlimit")
        var limit = limit
        try #require(call(pid, Int32(RLIMIT_NOFILE.rawValue), &limit, nil) == 0, "prlimit of \(pid)")
    }
}
