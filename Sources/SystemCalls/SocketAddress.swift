#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 socket address: the one sockaddr builder of the project, for listening sockets, the driver's
/// connections and the machine floor (wrk's `net.h` keeps its addresses the same way, behind one type).
public struct SocketAddress: Sendable, Equatable, CustomStringConvertible {
    /// Why a host could not be turned into an address.
    public struct ResolveError: Error, CustomStringConvertible {
        public let description: String
    }

    private var storage = sockaddr_storage()
    public let length: socklen_t

    /// `host` as a numeric IPv4 address (`127.0.0.1`) or IPv6 address (`::1`, with or without brackets), and
    /// `port`; nil when `host` is neither.
    public init?(numericHost host: String, port: Int) {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, bare, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
            self.init(copying: &v4, length: MemoryLayout<sockaddr_in>.size)
            return
        }
        var v6 = sockaddr_in6()
        guard inet_pton(AF_INET6, bare, &v6.sin6_addr) == 1 else { return nil }
        v6.sin6_family = sa_family_t(AF_INET6)
        v6.sin6_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
        self.init(copying: &v6, length: MemoryLayout<sockaddr_in6>.size)
    }

    /// The address the kernel filled in for a socket (getsockname), e.g. a listener bound to port 0.
    public init?(boundTo descriptor: Int32) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { return nil }
        self.storage = storage
        self.length = length
    }

    private init<Address>(copying address: inout Address, length: Int) {
        self.length = socklen_t(length)
        withUnsafeMutableBytes(of: &storage) { target in
            withUnsafeBytes(of: &address) { target.copyMemory(from: $0) }
        }
    }

    /// Every address `host` (a name, or a numeric address) resolves to, in the order getaddrinfo gives them;
    /// numeric addresses need no lookup.
    public static func resolveAll(_ host: String, port: Int) throws(ResolveError) -> [SocketAddress] {
        if let numeric = SocketAddress(numericHost: host, port: port) { return [numeric] }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &results)
        defer { if let results { freeaddrinfo(results) } }
        var addresses: [SocketAddress] = []
        var next = status == 0 ? results : nil
        while let entry = next {
            if let address = entry.pointee.ai_addr {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) {
                    $0.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(entry.pointee.ai_addrlen)))
                }
                var resolved = SocketAddress(storage: storage, length: entry.pointee.ai_addrlen)
                resolved.port = port
                if !addresses.contains(resolved) { addresses.append(resolved) }
            }
            next = entry.pointee.ai_next
        }
        guard !addresses.isEmpty else {
            let reason = status == 0 ? "no address" : String(cString: gai_strerror(status))
            throw ResolveError(description: "cannot resolve '\(host)': \(reason)")
        }
        return addresses
    }

    /// The first address `host` resolves to (what a server binds).
    public static func resolve(_ host: String, port: Int) throws(ResolveError) -> SocketAddress {
        try resolveAll(host, port: port)[0]
    }

    /// The first of `candidates` that accepts a TCP connection within `timeoutMillis` each, as wrk tries the
    /// addresses of a name in turn; nil when none does.
    public static func firstAccepting(_ candidates: [SocketAddress], timeoutMillis: Int32 = 1000) -> SocketAddress? {
        candidates.first { candidate in
            let descriptor = candidate.makeSocket(nonBlocking: true)
            guard descriptor >= 0 else { return false }
            defer { close(descriptor) }
            if candidate.withSockaddr({ connect(descriptor, $0, $1) }) == 0 { return true }
            guard errno == EINPROGRESS else { return false }
            var waiting = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            guard poll(&waiting, 1, timeoutMillis) == 1 else { return false }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
            return error == 0
        }
    }

    /// A loopback port that was free a moment ago (the kernel's choice for a socket bound to port 0), for a program
    /// that must be told a port and cannot be asked for a free one.
    public static func freeLoopbackPort() -> Int? {
        let address = SocketAddress(numericHost: "127.0.0.1", port: 0)!
        let descriptor = address.makeSocket()
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        guard address.withSockaddr({ bind(descriptor, $0, $1) }) == 0 else { return nil }
        return SocketAddress(boundTo: descriptor)?.port
    }

    private init(storage: sockaddr_storage, length: socklen_t) {
        self.storage = storage
        self.length = length
    }

    // MARK: Reading it

    /// AF_INET or AF_INET6.
    public var family: Int32 { Int32(storage.ss_family) }

    public var isIPv6: Bool { family == AF_INET6 }

    public var port: Int {
        get {
            withUnsafeBytes(of: storage) {
                Int(UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self)))  // sin_port and sin6_port
            }
        }
        set {
            withUnsafeMutableBytes(of: &storage) {
                $0.storeBytes(of: UInt16(truncatingIfNeeded: newValue).bigEndian, toByteOffset: 2, as: UInt16.self)
            }
        }
    }

    /// The IPv4 address in host order, for loopback checks and source spreading; nil for IPv6.
    public var ipv4: UInt32? {
        guard family == AF_INET else { return nil }
        return withUnsafeBytes(of: storage) { UInt32(bigEndian: $0.load(fromByteOffset: 4, as: UInt32.self)) }
    }

    /// 127.0.0.0/8 or ::1.
    public var isLoopback: Bool {
        if let ipv4 { return ipv4 >> 24 == 127 }
        return withUnsafeBytes(of: storage) { bytes in
            (8..<23).allSatisfy { bytes[$0] == 0 } && bytes[23] == 1  // sin6_addr is at offset 8
        }
    }

    /// The numeric host, as inet_ntop writes it (`127.0.0.1`, `::1`).
    public var host: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        withUnsafeBytes(of: storage) { bytes in
            _ = inet_ntop(family, bytes.baseAddress! + (family == AF_INET ? 4 : 8), &text, socklen_t(text.count))
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `127.0.0.1:5050` or `[::1]:5050`, as listening lines and URLs write them.
    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Calls `body` with the address as the C calls take it.
    public func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        withUnsafeBytes(of: storage) { body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), length) }
    }

    /// A socket of this address's family, TCP, close-on-exec, optionally non-blocking; -1 with errno on failure.
    public func makeSocket(nonBlocking: Bool = false) -> Int32 {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
            | (nonBlocking ? Int32(SOCK_NONBLOCK.rawValue) : 0)
        return socket(family, type, 0)
    }

    public static func == (lhs: SocketAddress, rhs: SocketAddress) -> Bool {
        lhs.length == rhs.length && withUnsafeBytes(of: lhs.storage) { left in
            withUnsafeBytes(of: rhs.storage) { right in
                left.prefix(Int(lhs.length)).elementsEqual(right.prefix(Int(lhs.length)))
            }
        }
    }
}
