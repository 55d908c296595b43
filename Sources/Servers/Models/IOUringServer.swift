import NIOCore

/// io_uring, the fourth way past a blocking server: completions instead of readiness. One ``IOUringLoop`` thread per
/// core (by default), each with its own ring and its own listening socket on the shared port (``LoopGroup``, as the
/// epoll model): a multishot accept, a multishot receive per connection into a provided buffer ring, and everything a
/// turn prepared (sends, closes) submitted with the one system call that waits for the next completions, so that a
/// request costs far fewer system calls than epoll's read, write and epoll_wait. Needs Linux 6.1 with io_uring
/// allowed; where it is refused it says so at start (``ServerUnavailable``) and is skipped (docs/io-uring.md).
final class IOUringServer: LoopServer {
    static let name = "io-uring"
    static let traits = ServerTraits(
        summary: "io_uring in Swift with liburing: multishot accept and receive, provided buffers, batched sends",
        defaultThreads: System.coreCount, threadsAre: "event loops", concurrentConnections: { _ in nil },
        busyCores: { $0 }, ownThreads: { $0 }, listeningSockets: { $0 }, blocksOnReads: false,
        unavailable: { IOUringRing.refusal })

    let loops: LoopGroup<IOUringLoop>

    init(configuration: ServerConfiguration) {
        loops = LoopGroup(configuration, role: "ur")
    }
}
