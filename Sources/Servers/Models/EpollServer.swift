import NIOCore

/// Non-blocking sockets multiplexed with epoll, written here without SwiftNIO: one ``EpollLoop`` thread per core (by
/// default), each with its own listening socket on the shared port (SO_REUSEPORT, ``LoopGroup``), so that the kernel
/// spreads new connections and no connection ever moves between threads. The event loop model's idea with no library
/// between it and the system calls, so that what SwiftNIO's per-channel machinery costs can be told apart from what
/// the model costs.
final class EpollServer: LoopServer {
    static let name = "epoll"
    static let traits = ServerTraits(
        summary: "an epoll loop in Swift without SwiftNIO, one per core, each with its own listening socket",
        defaultThreads: System.coreCount, threadsAre: "event loops", concurrentConnections: { _ in nil },
        busyCores: { $0 }, ownThreads: { $0 }, listeningSockets: { $0 }, blocksOnReads: false)

    let loops: LoopGroup<EpollLoop>

    init(configuration: ServerConfiguration) {
        loops = LoopGroup(configuration, role: "ep")
    }
}
