#if canImport(Glibc)
import Glibc
#endif
import Metrics

/// The system calls that open one client connection, and the mapping from their errno values to failure kinds.
/// Everything here is a plain function over a prepared address: nothing allocates, so a worker can open
/// tens of thousands of connections a second.
struct ConnectCall {
    /// Linux's IP_BIND_ADDRESS_NO_PORT (not in Glibc's Swift overlay): bind chooses the source address only and
    /// leaves the port to connect(), which may then reuse a port for every distinct destination.
    static let bindAddressNoPort: Int32 = 24

    /// What a non-blocking connect() left us with.
    enum Outcome {
        /// The handshake is under way (or done); wait for the socket to become writable.
        case started(Int32)
        /// It failed at once; nothing is left open.
        case failed(FailureKind)
    }

    private var destination: sockaddr_in
    /// Source addresses to spread over (127.0.0.2 ...), in network order; empty to let the kernel choose.
    private let sources: [UInt32]
    private var nextSource: Int

    /// - Parameters:
    ///   - sourceAddresses: loopback sources to spread over; used only when the target is a loopback address.
    ///   - firstSource: where this worker starts in the list, so workers do not all begin on 127.0.0.2.
    init?(host: String, port: Int, sourceAddresses: Int, firstSource: Int) {
        destination = sockaddr_in()
        destination.sin_family = sa_family_t(AF_INET)
        destination.sin_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
        guard inet_pton(AF_INET, host, &destination.sin_addr) == 1 else { return nil }
        // Ephemeral ports (about 28,000) run out at 10,000 clients: each source address brings its own set.
        let isLoopback = UInt32(bigEndian: destination.sin_addr.s_addr) >> 24 == 127
        let count = isLoopback ? sourceAddresses : 0
        sources = (0..<count).map { UInt32(0x7F00_0002 + $0).bigEndian }
        nextSource = count == 0 ? 0 : firstSource % count
    }

    static func isIPv4(_ host: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, host, &address) == 1
    }

    /// socket(), bind to the next source address, connect(): the start of one client.
    mutating func start() -> Outcome {
        // Non-blocking so one thread can hold thousands of handshakes; CLOEXEC so worker processes we spawn
        // do not inherit connections.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
            | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failed(Self.setupFailure(errno)) }
        if !sources.isEmpty && !bindSource(fd) {
            let error = errno
            close(fd)
            return .failed(Self.setupFailure(error))
        }
        let result = withUnsafePointer(to: &destination) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if result == 0 || errno == EINPROGRESS { return .started(fd) }
        let error = errno
        close(fd)
        return .failed(Self.setupFailure(error))
    }

    private mutating func bindSource(_ fd: Int32) -> Bool {
        var one: Int32 = 1
        // Without this, bind() picks a port for the source address alone and ports run out as before.
        setsockopt(fd, Int32(IPPROTO_IP), Self.bindAddressNoPort, &one, socklen_t(MemoryLayout<Int32>.size))
        var source = sockaddr_in()
        source.sin_family = sa_family_t(AF_INET)
        source.sin_addr.s_addr = sources[nextSource]
        nextSource = nextSource + 1 == sources.count ? 0 : nextSource + 1
        return withUnsafePointer(to: &source) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    // MARK: errno to failure kind

    /// A failure of socket(), bind() or connect() itself.
    static func setupFailure(_ error: Int32) -> FailureKind {
        switch error {
        // No descriptor, no free local port, no kernel buffer: the driver's limit, not the server's.
        case EMFILE, ENFILE, EADDRNOTAVAIL, EADDRINUSE, ENOBUFS, ENOMEM: .localResource
        case ETIMEDOUT: .connectTimeout
        default: .connectRefused
        }
    }

    /// The verdict on SO_ERROR when epoll reports ERR or HUP before the driver has seen the handshake complete;
    /// nil when the handshake did complete and the stream is whole, so the reads decide as for any connection.
    static func handshakeFailure(_ error: Int32) -> FailureKind? {
        switch error {
        // EPIPE is a reset that came after the server's FIN: its data and the FIN are queued, and reads see them as
        // a plain reader would. At 10,000 clients the server's time-wait table fills (tcp_max_tw_buckets), its
        // kernel forgets a closed connection at once and answers our next segment with a reset; the driver called
        // those "connect refused" (thread-pool: 7 to 1,370 a run in 10 of 23 runs of 10 s).
        case 0, EPIPE: nil
        case ETIMEDOUT: .connectTimeout
        case ECONNRESET: .connectionReset
        case EADDRNOTAVAIL: .localResource
        default: .connectRefused  // ECONNREFUSED, EHOSTUNREACH, ENETUNREACH: the server was not reachable
        }
    }

    /// An error of read(), send() or shutdown() on an established connection.
    static func transferFailure(_ error: Int32) -> FailureKind {
        error == ETIMEDOUT ? .readTimeout : .connectionReset  // ECONNRESET, EPIPE and the rare others
    }
}
