import ArgumentParser
import Driver
import Wire

#if canImport(Glibc)
import Glibc
#endif

/// The load a run puts on a server: shared by `bench drive` and `bench compare` through `@OptionGroup`.
/// Where to (`--host`, `--port`) and how many clients are each command's own: drive takes one count, compare a
/// list. Figures are read as text with units (`10s`, `10k`, `1-4096`) and checked in `validate()`.
struct LoadOptions: ParsableArguments {
    @Option(
        name: .customLong("protocol"),
        help: ArgumentHelp("What is said on each connection: \(WireProtocol.names) (docs/PROTOCOL.md); default greeting."))
    var wireProtocol: WireProtocol?

    // bench compare runs dozens of cells, so its windows are shorter (the README's first command, every model at four
    // client counts three times, must finish within minutes); bench drive measures one run, as long as wrk's.
    @Option(name: [.short, .long], help: "Measured time, after the warmup: 10s, 500ms, 2m (default 10s; compare: 5s a cell; knee: 2s a step).")
    var duration: String?

    @Option(help: "Time run before measuring; nothing in it is counted (default 2s; compare: 1s a cell; knee: 500ms a step).")
    var warmup: String?

    @Option(help: ArgumentHelp(
        "Requests per connection, then half-close (http: Connection: close) and reconnect; unlimited keeps each "
            + "connection for the whole run (default 1; a URL target: unlimited, as wrk)."))
    var requests: String?

    @Option(help: "Think time between a response and the next request (closed loop; also before the next connection).")
    var think = "0ms"

    @Option(help: "Think time varies uniformly by up to this much either way.")
    var jitter = "0ms"

    @Option(help: ArgumentHelp(
        "Bytes asked per request (echo: sent): N, MIN-MAX drawn uniformly, or a mix such as 16:90%,1m:10% whose parts' "
            + "latencies are reported apart (default 16)."))
    var size: String?

    @Option(help: ArgumentHelp(
        "HTTP: the request target; {size} takes each request's n from --size.", valueName: "path"))
    var path: String?

    @Option(name: .customLong("header"), help: ArgumentHelp(
        "HTTP: a 'Name: value' field sent with every request (repeatable).", valueName: "field"))
    var headers: [String] = []

    @Option(name: .customLong("expect-length"), help: ArgumentHelp(
        "HTTP: check that every 2xx body is n bytes: auto (when --path is /bytes/{size}) or off."))
    var expectLength = ExpectLength.auto

    @Option(help: "Requests in flight per connection (request, http, multiplex).")
    var pipeline = "1"

    @Option(help: "h2: streams in flight per connection, as h2load's -m (--pipeline by its HTTP/2 name).")
    var streams: String?

    @Option(name: [.short, .long], help: "Event loops (threads) per process; default: one per core.")
    var threads: String?

    @Option(help: "Worker processes, each running --threads event loops; results are merged exactly.")
    var processes = "1"

    @Option(name: .customLong("connect-timeout"), help: "Longest wait for a TCP handshake.")
    var connectTimeout = "2s"

    @Option(help: "Longest wait for the server's next byte once connected.")
    var timeout = "5s"

    @Option(help: ArgumentHelp(
        "Kinds of clients, ';' between them: NAME=P%,requests=N,think=T,jitter=J (unset: --requests, --think, "
            + "--jitter); each has its own rows in summary.csv and lines in the summary and the table.",
        valueName: "profiles"))
    var mix: String?

    @Option(help: "Connections opened beside the measured clients and held silent, reported apart (10k allowed).")
    var idle: String?

    @Option(help: ArgumentHelp(
        "N clients beside the measured ones that send each request and read each response at RATE bytes/s "
            + "(default 10), reported apart.", valueName: "N[:RATE]"))
    var slow: String?

    @Option(help: ArgumentHelp(
        "backoff[=MIN..MAX]: a client refused or reset waits a random delay of up to MIN x 2^(tries-1), at most MAX "
            + "(default 10ms..1s), before it reconnects; reconnects and the time back to full load are reported.",
        valueName: "policy"))
    var reconnect: String?

    @Option(help: ArgumentHelp(
        "Open loop: how starts are spaced: uniform (evenly, as wrk2) or poisson (exponential gaps, as independent "
            + "clients arrive); default uniform (bench knee: poisson).", valueName: "kind"))
    var arrivals: Arrivals?

    @Flag(help: "Start all first connections at once instead of pacing them at 20,000/s.")
    var burst = false

    @Option(name: .customLong("source-addresses"),
            help: "Loopback targets: spread source addresses over 127.0.0.2... (0: let the kernel choose).")
    var sourceAddresses = 16

    @OptionGroup(title: "TLS") var tls: DriveTLSOptions

    /// The measured window and the warmup when --duration and --warmup are not given.
    static let driveWindows = (duration: "10s", warmup: "2s")
    static let compareWindows = (duration: "5s", warmup: "1s")

    /// The settings these options describe for `clients` clients (and `defaultProtocol` when --protocol is not
    /// given, `windows` when --duration or --warmup is not, `defaultRequests` when --requests is not,
    /// `defaultArrivals` when --arrivals is not, `defaultBackground` when --idle or --slow is not; `secure`: TLS
    /// without --tls, for an https:// target; `rate`: the open loop's rate when the command sets it, as `bench knee`
    /// does each step's, instead of `shape`); throws a `ValidationError` naming the option and what it takes.
    func settings(
        clients: Int, shape: LoadShapeOptions? = nil, rate: Double? = nil, defaultProtocol: WireProtocol = .greeting,
        windows: (duration: String, warmup: String) = driveWindows, defaultRequests: String = "1",
        defaultArrivals: Arrivals = .uniform, defaultBackground: (idle: String, slow: String) = ("0", "0"),
        secure: Bool = false
    ) throws -> LoadSettings {
        do {
            var settings = LoadSettings()
            settings.wireProtocol = wireProtocol ?? defaultProtocol
            if let path { settings.path = path }
            settings.fields = headers
            settings.checksLength = expectLength == .off ? false : nil
            settings.clients = clients
            settings.connections = try shape?.connections.map { try Units.wholeCount($0, option: "--connections") }
            settings.rate = try rate.map(OfferedRate.constant) ?? OfferedRate.parse(rate: shape?.rate, step: shape?.step)
            settings.arrivals = arrivals ?? defaultArrivals
            // Steps make the window as long as they are unless --duration says otherwise, as k6's stages make a run.
            settings.durationMicros = try duration.map { try Units.durationMicros($0, option: "--duration") }
                ?? settings.rate?.stepsMicros ?? Units.durationMicros(windows.duration, option: "--duration")
            settings.warmupMicros = try Units.durationMicros(warmup ?? windows.warmup, option: "--warmup")
            settings.requestsPerConnection = try Units.requests(requests ?? defaultRequests, option: "--requests")
            settings.thinkMicros = try Units.durationMicros(think, option: "--think")
            settings.jitterMicros = try Units.durationMicros(jitter, option: "--jitter")
            let maximum = settings.wireProtocol.traits.largestSize
            settings.sizeMix = try Units.sizeMix(size ?? "16", option: "--size", maximum: maximum)
            let sizes = settings.sizeMix.isEmpty
                ? try Units.sizeRange(size ?? "16", option: "--size", maximum: maximum)
                : settings.sizeMix.map(\.min).min()!...settings.sizeMix.map(\.max).max()!
            (settings.sizeMin, settings.sizeMax) = (sizes.lowerBound, sizes.upperBound)
            if let streams {
                guard settings.wireProtocol.traits.multiplexesStreams else {
                    throw ValidationError("--streams applies to --protocol h2; the others take --pipeline")
                }
                guard pipeline == "1" else { throw ValidationError("give --streams or --pipeline, not both") }
                settings.pipeline = try Units.wholeCount(streams, option: "--streams")
            } else {
                settings.pipeline = try Units.wholeCount(pipeline, option: "--pipeline")
            }
            settings.threads = try threads.map { try Units.wholeCount($0, option: "--threads") }
                ?? max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
            settings.processes = try Units.wholeCount(processes, option: "--processes")
            settings.connectTimeoutMicros = try Units.durationMicros(connectTimeout, option: "--connect-timeout")
            settings.timeoutMicros = try Units.durationMicros(timeout, option: "--timeout")
            settings.burst = burst
            let defaults = ClientProfile(
                name: "", percent: 100, requestsPerConnection: settings.requestsPerConnection,
                thinkMicros: settings.thinkMicros, jitterMicros: settings.jitterMicros)
            settings.mix = try mix.map { try ClientProfile.parse($0, defaults: defaults) } ?? []
            settings.reconnectBackoffMicros = try reconnect.map { try Units.backoff($0, option: "--reconnect") }
            settings.idle = try Units.wholeCount(idle ?? defaultBackground.idle, option: "--idle", minimum: 0)
            let slowParts = (slow ?? defaultBackground.slow).split(separator: ":", maxSplits: 1).map(String.init)
            settings.slow = try Units.wholeCount(slowParts.first ?? "0", option: "--slow", minimum: 0)
            if slowParts.count == 2 { settings.slowBytesPerSecond = try Units.count(slowParts[1], option: "--slow's RATE") }
            settings.sourceAddresses = sourceAddresses
            settings.tls = try tls.settings(secure: secure)
            if let problem = settings.problem() { throw ValidationError(problem) }
            return settings
        } catch let error as Units.ParseError {
            throw ValidationError(error.description)
        }
    }

    /// Applies the path of a URL target: `/bytes/N` asks for N bytes (as `--size N`, and checked) unless --size says
    /// otherwise; any other path is requested as it is.
    func takePath(_ urlPath: String, into settings: inout LoadSettings) throws {
        guard path == nil else { throw ValidationError("give the path in the URL or with --path, not both") }
        let prefix = "/bytes/"
        if size == nil, urlPath.hasPrefix(prefix), let count = UInt32(urlPath.dropFirst(prefix.count)),
            (1...WireDefaults.maxRequestBytes).contains(count)
        {
            settings.path = prefix + HTTPRequestTemplate.sizePlaceholder
            (settings.sizeMin, settings.sizeMax) = (count, count)
        } else {
            settings.path = urlPath
        }
    }
}

/// The load's shape besides the closed loop: `bench drive` and `bench compare` take them; `bench knee` sets the rate
/// of every step itself.
struct LoadShapeOptions: ParsableArguments {
    @Option(help: "Count mode: connections to make in all, then stop (duration and warmup unused).")
    var connections: String?

    @Option(help: ArgumentHelp(
        "Open loop: connections/s (\(Self.protocols(.connection))) or requests/s (\(Self.protocols(.request))), "
            + "latency from the intended start; A..B ramps from A to B over --duration, A,B,C holds each for --step.",
        valueName: "rate"))
    var rate: String?

    @Option(help: ArgumentHelp(
        "With --rate A,B,C: how long each rate holds; --duration defaults to all the steps, and the last rate holds "
            + "past them.", valueName: "time"))
    var step: String?

    /// The protocols whose exchanges are counted as `exchange`: `greeting, echo`.
    static func protocols(_ exchange: ProtocolTraits.Exchange) -> String {
        WireProtocol.allCases.filter { $0.traits.exchange == exchange }.map(\.rawValue).joined(separator: ", ")
    }
}

/// Whether `bench drive` checks HTTP body lengths.
enum ExpectLength: String, CaseIterable, ExpressibleByArgument {
    /// When the path is the harness's own `/bytes/{size}`.
    case auto
    case off
}

extension Arrivals: ExpressibleByArgument {}

extension WireProtocol: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(rawValue: argument)
    }

    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}
