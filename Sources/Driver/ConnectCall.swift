#if canImport(Glibc)
import Glibc
#endif
import Metrics
import SystemCalls

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

    private let destination: SocketAddress
    /// Source addresses to spread over (127.0.0.2 ...); empty to let the kernel choose.
    private let sources: [SocketAddress]
    private var nextSource: Int

    /// - Parameters:
    ///   - host: a numeric IPv4 or IPv6 address (names are resolved before the run).
    ///   - sourceAddresses: loopback sources to spread over; used only when the target is an IPv4 loopback address.
    ///   - firstSource: where this worker starts in the list, so workers do not all begin on 127.0.0.2.
    init?(host: String, port: Int, sourceAddresses: Int, firstSource: Int) {
        guard let destination = SocketAddress(numericHost: host, port: port) else { return nil }
        self.destination = destination
        // Ephemeral ports (about 28,000) run out at 10,000 clients: each source address brings its own set. IPv6 has
        // one loopback address, so there is nothing to spread over.
        let count = destination.ipv4.map { $0 >> 24 == 127 } == true ? sourceAddresses : 0
        sources = (0..<count).map { SocketAddress(numericHost: "127.0.0.\(2 + $0)", port: 0)! }
        nextSource = count == 0 ? 0 : firstSource % count
    }

    /// socket(), bind to the next source address, connect(): the start of one client. `receiveBuffer`: a small
    /// SO_RCVBUF, set before connect() so the window the server sees is small too (a slow reader's).
    mutating func start(receiveBuffer: Int32? = nil) -> Outcome {
        // Non-blocking so one thread can hold thousands of handshakes; CLOEXEC so worker processes we spawn
        // do not inherit connections.
        let fd = destination.makeSocket(nonBlocking: true)
        guard fd >= 0 else { return .failed(Self.setupFailure(errno)) }
        if var bytes = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, socklen_t(MemoryLayout<Int32>.size))
        }
        if !sources.isEmpty && !bindSource(fd) {
            let error = errno
            close(fd)
            return .failed(Self.setupFailure(error))
        }
        let result = destination.withSockaddr { connect(fd, $0, $1) }
        if result == 0 || errno == EINPROGRESS { return .started(fd) }
        let error = errno
        close(fd)
        return .failed(Self.setupFailure(error))
    }

    private mutating func bindSource(_ fd: Int32) -> Bool {
        var one: Int32 = 1
        // Without this, bind() picks a port for the source address alone and ports run out as before.
        setsockopt(fd, Int32(IPPROTO_IP), Self.bindAddressNoPort, &one, socklen_t(MemoryLayout<Int32>.size))
        let source = sources[nextSource]
        nextSource = nextSource + 1 == sources.count ? 0 : nextSource + 1
        return source.withSockaddr { bind(fd, $0, $1) } == 0
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
        // kernel forgets a closed connection at once and answers our next segment with a reset, which is not a
        // refusal: calling it one blamed the server for what the kernel did (docs/performance.md, "Behind the code").
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
