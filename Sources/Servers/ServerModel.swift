import NIOCore

/// The server models `bench serve --model` and `bench compare` know, by the names they use on the command line.
///
/// Adding a model means one case here, one line in ``makeServer(_:)`` and ``defaultThreads``, and the model's own
/// file(s); nothing else changes.
public enum ServerModel: String, CaseIterable, Sendable, Codable {
    /// One thread: accept, serve that connection to its end, close, next.
    case blocking
    /// An acceptor thread hands connections to a fixed pool of workers through a bounded queue.
    case threadPool = "thread-pool"
    /// SwiftNIO: non-blocking sockets multiplexed on one event loop per core.
    case eventLoop = "event-loop"

    /// Builds the model from `configuration`; nothing is bound until ``Server/start()``.
    public func makeServer(_ configuration: ServerConfiguration) -> any Server {
        switch self {
        case .blocking: BlockingServer(configuration: configuration)
        case .threadPool: ThreadPoolServer(configuration: configuration)
        case .eventLoop: EventLoopServer(configuration: configuration)
        }
    }

    /// How many threads serve connections when ``ServerConfiguration/threads`` is nil.
    public var defaultThreads: Int {
        switch self {
        case .blocking: 1
        case .threadPool: ThreadPoolServer.defaultWorkers
        case .eventLoop: System.coreCount
        }
    }

    /// Whether ``ServerConfiguration/threads`` may be set to `threads` for this model.
    public func allowsThreads(_ threads: Int) -> Bool {
        self == .blocking ? threads == 1 : threads >= 1
    }
}
