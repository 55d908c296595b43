#if canImport(Glibc)
import Glibc
#endif
import Wire

/// When an open loop's clients mean to start (greeting, echo) or to send (the others): a client's first moment and
/// each next one, decided here for every place that needs one. Latency counts from these moments whenever the
/// start comes later, so the driver's own lateness shows (coordinated omission corrected).
///
/// Each of the run's clients keeps a schedule of its own at 1/clients of the offered rate, and together they offer it
/// whole. A client's gap is measured in starts of the ``RateCurve`` rather than in seconds, so that a gap crossing a
/// change of rate takes the new rate from where it begins. Uniform: the clients are staggered one start apart and step
/// `clients` starts at a time, so the run's starts fall evenly, one per start of the curve. Poisson: each gap is an
/// exponential draw, which makes each client a Poisson process and their sum one at the whole rate (a sum of
/// independent Poisson processes is one); measuring gaps in starts keeps that true of a changing rate (the
/// time-rescaling theorem).
struct ArrivalSchedule {
    let curve: RateCurve
    let arrivals: Arrivals
    let clients: Double
    /// Where the curve's time begins: the opening of the measured window.
    let windowStartNanos: UInt64

    init(_ rate: OfferedRate, arrivals: Arrivals, clients: Int, windowStartNanos: UInt64, windowMicros: Int) {
        curve = RateCurve(rate, windowMicros: windowMicros)
        self.arrivals = arrivals
        self.clients = Double(clients)
        self.windowStartNanos = windowStartNanos
    }

    /// The first moment of client `client` of the run's clients, the run having started at `startNanos`.
    func first(client: Int, startNanos: UInt64, random: inout WyRand) -> UInt64 {
        // A Poisson process has no memory: a client's first gap from the start is drawn like any other.
        later(than: startNanos, by: arrivals == .uniform ? Double(client) : clients * gap(&random))
    }

    /// The moment after `intended`, a client's last one.
    func next(after intended: UInt64, random: inout WyRand) -> UInt64 {
        later(than: intended, by: clients * gap(&random))
    }

    /// A client's gap, in its mean gaps: 1, or an exponential draw of mean 1.
    private func gap(_ random: inout WyRand) -> Double {
        switch arrivals {
        case .uniform: 1
        case .poisson: random.exponential()
        }
    }

    private func later(than nanos: UInt64, by starts: Double) -> UInt64 {
        let time = Double(Int64(bitPattern: nanos &- windowStartNanos)) / 1e9
        return nanos + UInt64(curve.seconds(after: time, starts: starts) * 1e9)
    }
}
