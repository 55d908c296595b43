import SystemCalls
import TLS
import Wire

/// Everything that shapes a run: where to, which protocol, how many clients, for how long. `bench drive` and
/// `bench compare` fill it from their options; it travels as JSON to worker processes and is kept in the
/// result, so a CSV row can say exactly what was run.
public struct LoadSettings: Codable, Sendable, Equatable {
    public var host = WireDefaults.host
    public var port = WireDefaults.port
    public var wireProtocol = WireProtocol.greeting
    /// Connections kept open at once (closed loop), or the pool that open-loop starts draw from.
    public var clients = 100
    /// Count mode: connections to complete in all, then stop (duration and warmup are not used).
    public var connections: Int?
    /// Open loop: connections per second (greeting, echo) or requests per second (the others), held or changing over
    /// the window.
    public var rate: OfferedRate?
    /// Open loop: how the starts are spaced.
    public var arrivals = Arrivals.uniform
    /// The work the measured servers do per request (their `bench serve --work`), nil for none. Not the driver's
    /// own setting: it is kept with the load so that every result row, and `bench check` reading one back, says
    /// what was measured.
    public var serverWork: String?
    public var durationMicros = 10_000_000
    /// Run before the measured window; nothing in it is counted.
    public var warmupMicros = 2_000_000
    /// Requests per connection (request protocol; the greeting is always one frame).
    public var requestsPerConnection = 1
    public var thinkMicros = 0
    /// Think time is drawn uniformly from think ± jitter.
    public var jitterMicros = 0
    public var sizeMin: UInt32 = 16
    public var sizeMax: UInt32 = 16
    /// A size mix instead of the one range above (which then spans it); empty for none.
    public var sizeMix: [SizeShare] = []
    /// Requests in flight per connection.
    public var pipeline = 1
    /// Event loops per process.
    public var threads = 1
    public var processes = 1
    /// `--share K/N`: this driver is host `hostShare` (from 0) of `hostShares`, each taking its share of the clients,
    /// the connections and the rate as the event loops of one host share them; 0 of 1 alone.
    public var hostShare = 0
    public var hostShares = 1
    /// `--hlog`: keep a histogram of every latency for each second of the window, for an interval log.
    public var intervalLog = false
    /// Keep a histogram for each second of the window (timeline.csv). Off for a soak: at 25 KiB a second and event
    /// loop, an hour's timeline would be the driver's memory growing by design, where the soak looks for growth.
    public var keepsTimeline = true
    public var connectTimeoutMicros = 2_000_000
    /// Longest wait for the server's next byte once connected.
    public var timeoutMicros = 5_000_000
    /// Kinds of measured clients, each with its share, requests and think time, and figures of its own; empty: one
    /// kind, from the settings above.
    public var mix: [ClientProfile] = []
    /// Connections opened beside the measured clients and held without a word (a server's idle keep-alive clients).
    public var idle = 0
    /// Clients beside the measured ones that send each request, and read each response, at `slowBytesPerSecond`.
    public var slow = 0
    public var slowBytesPerSecond = 10.0
    /// `--reconnect backoff=MIN..MAX`: a client whose connection is refused or reset waits a random delay of up to
    /// MIN x 2^(attempt-1), at most MAX (exponential backoff with full jitter), before it tries again; nil: at once.
    public var reconnectBackoffMicros: ClosedRange<Int>?
    /// Start every initial connection at once instead of pacing them (see ``pacedStartsPerSecond``).
    public var burst = false
    /// Loopback targets: source addresses 127.0.0.2 ... 127.0.0.(1+n) to spread over; 0 binds none.
    public var sourceAddresses = 16
    /// HTTP: the request target, `{size}` standing for each request's n.
    public var path = "/bytes/\(HTTPRequestTemplate.sizePlaceholder)"
    /// HTTP: `Name: value` fields sent with every request.
    public var fields: [String] = []
    /// HTTP: the Host field's value as the target was named (`localhost:8080`); nil for `host:port`.
    public var authority: String?
    /// HTTP: whether a 2xx body must be exactly n bytes; nil for "when the path asks for `/bytes/{size}`", the
    /// harness's own path.
    public var checksLength: Bool?
    /// Every connection speaks TLS first (`--tls`): its version, ciphers and groups, whether a client resumes its
    /// last session (``TLSSettings/resume``, off unless `--tls-resume`), SNI and the certificate check; nil for
    /// plaintext.
    public var tls: TLSSettings?

    /// `--requests unlimited`: a connection makes requests until the run ends (a URL target's default, as wrk).
    public static let unlimitedRequests = Int(Int32.max)

    /// Initial connections start at this total rate unless `burst` is set: below what a server can accept, so a
    /// listen queue of 4,096 (somaxconn) never overflows into 1 s / 3 s SYN retries by accident.
    public static let pacedStartsPerSecond = 20_000.0

    public init() {}

    /// The requests HTTP clients send.
    public var httpTemplate: HTTPRequestTemplate {
        let address = SocketAddress(numericHost: host, port: port)
        return HTTPRequestTemplate(path: path, authority: authority ?? address?.description ?? "\(host):\(port)",
                                   fields: fields)
    }

    /// Whether HTTP bodies are checked against the size asked for.
    public var checksBodyLength: Bool {
        checksLength ?? path.hasPrefix("/bytes/" + HTTPRequestTemplate.sizePlaceholder)
    }

    /// The sizes as `--size` takes them: `16`, `1-4096` or `16:90%,1000000:10%`.
    public var sizeText: String {
        sizeMix.isEmpty ? SizeShare(min: sizeMin, max: sizeMax, percent: 100).sizeText : SizeShare.text(sizeMix)
    }

    /// Whether each connection makes requests (every protocol whose client says something).
    public var makesRequests: Bool { wireProtocol.traits.clientSends }

    /// Whether a connection is one exchange (greeting, echo), so that an open-loop rate paces connection starts rather
    /// than requests.
    public var ratePacesConnections: Bool { wireProtocol.traits.exchange == .connection }

    public var isOpenLoop: Bool { rate != nil }
    public var isCountMode: Bool { connections != nil }
    /// Event loops over all processes of all hosts sharing the load.
    public var workerCount: Int { threads * processes * hostShares }

    /// This host's first event loop among ``workerCount``: its loops are the next `threads x processes`.
    public var firstWorker: Int { hostShare * threads * processes }

    /// The open loop's starts per second on this host over the measured window: its clients' part of `rate`'s mean
    /// (the whole without `--share`), each client starting at the same pace; nil in a closed loop.
    public var offeredRate: Double? {
        guard let rate else { return nil }
        return rate.mean(windowMicros: durationMicros) * hostsPart
    }

    /// The part of the run's clients, and so of an open loop's starts, that this host's event loops run.
    private var hostsPart: Double {
        let local = (firstWorker..<firstWorker + threads * processes).reduce(0) { $0 + share(of: clients, worker: $1) }
        return Double(local) / Double(clients)
    }

    /// Descriptors one process needs: its share of clients, its epoll instances, and room for stdio and pipes.
    public var descriptorsPerProcess: Int {
        let sharers = processes * hostShares
        return (clients + idle + slow + sharers - 1) / sharers + threads + 32
    }

    /// Whether idle or slow clients run beside the measured ones.
    public var hasBackground: Bool { idle > 0 || slow > 0 }

    /// A sentence saying what is wrong with these settings, or nil when they can run with `descriptorLimit`.
    public func problem(descriptorLimit: Int = .max) -> String? {
        if SocketAddress(numericHost: host, port: port) == nil {
            return "--host takes an IPv4 or IPv6 address such as 127.0.0.1 or ::1 (names are resolved first), "
                + "got '\(host)'"
        }
        if !(1...65535).contains(port) {
            return "--port takes 1 to 65535, got \(port)"
        }
        if clients < workerCount {
            let sharers = hostShares > 1 ? " x --share's N" : ""
            return "--clients (\(clients)) must be at least --threads x --processes\(sharers) (\(workerCount)): "
                + "each event loop needs a client"
        }
        if ratePacesConnections && (pipeline != 1 || requestsPerConnection != 1) {
            let requests = WireProtocol.allCases.filter { $0.traits.exchange == .request }.map(\.rawValue)
            return "--pipeline and --requests apply to --protocol \(requests.joined(separator: ", ")); a "
                + "\(wireProtocol) connection is one exchange"
        }
        if wireProtocol.traits.requestsByPath {
            if !path.hasPrefix("/") { return "--path takes a path that starts with /, got '\(path)'" }
            // Visible ASCII only, as a request target is (RFC 3986): a letter beyond it went out as UTF-8 bytes that
            // the harness's own server refuses with 400 (found by Fuzz/Targets/http-roundtrip).
            if !path.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) {
                return "--path must not hold spaces, control characters or non-ASCII letters (percent-encode them), "
                    + "got '\(path)'"
            }
            for field in fields {
                if let problem = HTTPRequestTemplate.problem(with: field) { return "--header " + problem }
            }
        }
        // h2 names the requests in flight by their HTTP/2 name (--streams).
        let inFlight = wireProtocol.traits.multiplexesStreams ? "--streams" : "--pipeline"
        if let profile = mix.first(where: { $0.requestsPerConnection < pipeline }), makesRequests {
            return "\(inFlight) (\(pipeline)) cannot exceed the requests of --mix profile \(profile.name) "
                + "(\(profile.requestsPerConnection))"
        }
        if !mix.isEmpty && (ratePacesConnections || isOpenLoop) {
            return "--mix is a closed loop of request, http, multiplex or h2 clients: its profiles differ in "
                + "requests and think time, which an open-loop --rate would not keep"
        }
        if pipeline > requestsPerConnection && makesRequests && mix.isEmpty {
            return "\(inFlight) (\(pipeline)) cannot exceed --requests (\(requestsPerConnection))"
        }
        if let tls {
            // An unknown cipher or group, an unreadable --ca: said now, not by every worker failing to start.
            do { _ = try TLSContext.client(tls) } catch { return "--tls: \(error)" }
        }
        if tls != nil && hasBackground {
            return "--idle and --slow clients speak plaintext; they are not offered with --tls"
        }
        if let low = rate?.rates.first(where: { !($0 >= 1) }) {
            return "--rate takes at least 1 start (or request) per second, got \(low)"
        }
        if let steps = rate?.stepsMicros, durationMicros < steps {
            func seconds(_ micros: Int) -> String { Units.decimal(Double(micros) / 1e6) + "s" }
            return "--duration (\(seconds(durationMicros))) ends before the steps of --rate do (\(seconds(steps))): "
                + "leave --duration out, or make it at least \(seconds(steps)); the last rate holds past its step"
        }
        if arrivals != .uniform && !isOpenLoop {
            return "--arrivals \(arrivals.rawValue) spaces the starts of an open loop: give --rate too (a closed loop's "
                + "clients start when their last connection or response ends)"
        }
        if !(0...253).contains(sourceAddresses) {
            return "--source-addresses takes 0 to 253 (127.0.0.2 ... 127.0.0.254), got \(sourceAddresses)"
        }
        if connectTimeoutMicros == 0 || timeoutMicros == 0 {
            return "--connect-timeout and --timeout must be above zero: every wait needs a deadline it can meet"
        }
        if isOpenLoop && isCountMode {
            return "--rate and --connections are two different load shapes: choose one"
        }
        if hasBackground && !wireProtocol.traits.clientSends {
            return "--idle and --slow apply to protocols whose client speaks: a \(wireProtocol) server speaks first "
                + "and closes, so a client cannot stay idle or slow"
        }
        if idle < 0 || slow < 0 || !(slowBytesPerSecond >= 1 && slowBytesPerSecond <= 100_000) {
            return "--idle and --slow take a count of at least 0, and --slow's rate 1 to 100k bytes/s (a faster "
                + "client is a measured one)"
        }
        if let backoff = reconnectBackoffMicros, backoff.lowerBound < 1 {
            return "--reconnect backoff=MIN..MAX takes MIN above zero, such as backoff=10ms..1s"
        }
        if jitterMicros > thinkMicros {
            return "--jitter must not exceed --think, or think times would be negative"
        }
        if descriptorsPerProcess > descriptorLimit {
            return "this run needs \(descriptorsPerProcess) file descriptors per process but the soft "
                + "RLIMIT_NOFILE is \(descriptorLimit) (already raised to the hard limit): raise the hard limit "
                + "(ulimit -Hn, or LimitNOFILE in systemd), or use fewer --clients or more --processes"
        }
        return nil
    }

    /// Open loop: the starts offered in second `index` of the window (1 s, or what is left of the window), this
    /// host's share of them (`--share`); nil for a closed loop or count mode. Poisson arrivals offer as many on average.
    public func offeredStarts(inSecond index: Int) -> Double? {
        guard let rate else { return nil }
        let (from, to) = (Double(index), min(Double(index + 1), Double(durationMicros) / 1e6))
        guard to > from else { return 0 }
        return RateCurve(rate, windowMicros: durationMicros).starts(from: from, to: to) * hostsPart
    }

    /// The share of `total` that worker `index` of ``workerCount`` takes (the first ones take the remainder).
    func share(of total: Int, worker index: Int) -> Int {
        total / workerCount + (index < total % workerCount ? 1 : 0)
    }
}
