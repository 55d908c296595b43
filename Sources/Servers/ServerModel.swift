/// What a model is, for people and for tests, so that nothing outside a model's own file switches on its name.
public struct ServerTraits: Sendable {
    /// One line for `bench serve --help` and the README's list of models.
    public var summary: String
    /// Serving threads (or worker processes) when ``ServerConfiguration/threads`` is nil.
    public var defaultThreads: Int
    /// What `--threads` counts for it (`workers`, `event loops`, ...); nil when it takes exactly its default.
    public var threadsAre: String?
    /// Connections it serves at once with `threads` serving threads; nil when it serves any number at once.
    public var concurrentConnections: @Sendable (_ threads: Int) -> Int?
    /// Cores its serving can keep busy at once with `threads`: one per thread or process that serves; nil when only
    /// the machine bounds it (a thread per connection). A server using all of these is the limit of its run.
    public var busyCores: @Sendable (_ threads: Int) -> Int?
    /// Threads of its own (named `srv-ROLE-PORT`) it runs in this process for `threads`.
    public var ownThreads: @Sendable (_ threads: Int) -> Int
    /// Listening sockets it opens in this process for `threads`.
    public var listeningSockets: @Sendable (_ threads: Int) -> Int
    /// A thread blocks in each read of a connection, so a stalled client is closed after the read timeout in every
    /// protocol (an event loop times out only HTTP clients).
    public var blocksOnReads: Bool
    /// Its connections are served in this process (a prefork server's are in its workers).
    public var servesInThisProcess = true
    /// Why this system cannot run it at all (``ServerUnavailable``), found by trying; nil where it can.
    public var unavailable: @Sendable () -> String? = { nil }

    /// Whether `threads` may be asked of it.
    public func allows(threads: Int) -> Bool { threadsAre == nil ? threads == defaultThreads : threads >= 1 }
}

/// A server model as a type: one file in `Models/` (and helpers of its own), one entry in ``ServerModel/allCases``.
///
/// Its threads are named `srv-ROLE-PORT` (`PosixThread.spawn(name:)`; ``ThreadedRun`` names the blocking models'
/// threads so), within the kernel's 15 bytes: `top -H` and the tests (which count a server's threads and ask its
/// ``ServerTraits/ownThreads``) tell the threads of two servers apart by it; the SwiftNIO model renames its event
/// loops' threads so. What every model must do alike (deadlines, the lingering close) is in `Policy/`.
public protocol ServerModelType: Server {
    /// The name `bench serve --model`, `bench compare --models` and the result files use.
    static var name: String { get }
    static var traits: ServerTraits { get }
    init(configuration: ServerConfiguration)
}

/// The server models `bench serve --model` and `bench compare` know: the registry, from which help, the
/// comparison, the files, the charts and the tests take them.
public struct ServerModel: Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Every model, in the order they are listed and compared. Adding a model is its file and a line here.
    public static let allCases: [ServerModel] = [
        ServerModel(BlockingServer.self),
        ServerModel(ThreadPoolServer.self),
        ServerModel(ThreadPerConnectionServer.self),
        ServerModel(PreforkServer.self),
        ServerModel(EventLoopServer.self),
        ServerModel(EventLoopPoolServer.self),
        ServerModel(EpollServer.self),
        ServerModel(IOUringServer.self),
    ]

    private let type: any ServerModelType.Type

    private init(_ type: any ServerModelType.Type) {
        self.type = type
    }

    /// The model of that name, or nil.
    public init?(rawValue: String) {
        guard let model = Self.allCases.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = model
    }

    /// The model's place in ``allCases`` from 1: its row order in the table and its line style in the charts, the
    /// same in every run whatever `--models` says.
    public var position: Int { Self.allCases.firstIndex(of: self)! + 1 }

    public var rawValue: String { type.name }
    public var description: String { rawValue }
    public var traits: ServerTraits { type.traits }
    /// Why this system cannot run the model, or nil (``ServerTraits/unavailable``).
    public var unavailable: String? { traits.unavailable() }

    /// Builds the model from `configuration`; nothing is bound until ``Server/start()``.
    public func makeServer(_ configuration: ServerConfiguration) -> any Server {
        type.init(configuration: configuration)
    }

    /// Serving threads when ``ServerConfiguration/threads`` is nil.
    public var defaultThreads: Int { traits.defaultThreads }

    public static func == (lhs: ServerModel, rhs: ServerModel) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
}
