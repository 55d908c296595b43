#if canImport(Glibc)
import Glibc
#endif
import TLS
import Wire

/// What every connection's session of one server is made from, once per server: the block of random bytes responses
/// are cut from and, under `--tls`, the TLS context. Every model makes its sessions here, so that each wraps the
/// protocol's session in TLS the same way.
final class SessionFactory: Sendable {
    private let wireProtocol: WireProtocol
    private let maxRequestBytes: UInt32
    /// The block every response of this server is cut from; nil for a protocol whose answers are not
    /// (``ProtocolTraits/answersFromPool``).
    let pool: RandomPool?
    let tls: TLSContext?
    let work: WorkPlan
    private let maxStreams: UInt32
    private let leakBytes: Int

    /// The largest slice one write takes from the random pool. Larger responses go out as several slices, so the
    /// pool stays at 2 MiB whatever the maximum request is.
    static let largestSliceBytes = 1 << 20

    init(_ configuration: ServerConfiguration) throws {
        wireProtocol = configuration.wireProtocol
        maxRequestBytes = configuration.maxRequestBytes
        work = configuration.work
        maxStreams = configuration.maxStreams
        leakBytes = configuration.leakBytesPerConnection
        if wireProtocol.traits.answersFromPool {
            var random = WyRand()
            pool = RandomPool(maxSlice: min(Int(maxRequestBytes), Self.largestSliceBytes), random: &random)
        } else {
            pool = nil
        }
        do {
            let alpn = configuration.wireProtocol.traits.alpn.map { [$0] } ?? []
            tls = try configuration.tls.map { try TLSContext.server($0, alpn: alpn) }
        } catch {
            throw ServerStartError("--tls: \(error)")
        }
    }

    /// Whether the client sends before it is answered: under TLS it always does (its ClientHello), so even the
    /// greeting's connections are timed and given TCP_NODELAY.
    var clientSends: Bool { tls != nil || wireProtocol.traits.clientSends }

    /// Whether idle clients and slow requests are closed at the read timeout: under TLS always, so that a client
    /// stalled mid-handshake is freed as a slowloris is.
    var timesIdleClients: Bool { tls != nil || wireProtocol.traits.timesIdleClients }

    /// The work a new connection costs before its first byte: the whole exchange's for a protocol whose exchange is
    /// the connection (greeting, echo); the sessions of the others draw it per request.
    func connectionWork(using random: inout WyRand) -> RequestWork {
        // Every model calls this once per connection, so the soak's test can make any of them leak
        // (``ServerConfiguration/leakBytesPerConnection``); written, so that the pages count in the resident set.
        if leakBytes > 0, let lost = malloc(leakBytes) { memset(lost, 1, leakBytes) }
        guard !work.isNone, wireProtocol.traits.exchange == .connection else { return .none }
        return work.draw(using: &random)
    }

    /// A session for one connection slot.
    func make() -> any ServerSession {
        let settings = ServerSessionSettings(
            maxRequestBytes: maxRequestBytes, pool: pool, work: work, maxStreams: maxStreams)
        let session = wireProtocol.makeServerSession(settings)
        guard let tls else { return session }
        return TLSServerSession(session, context: tls)
    }
}
