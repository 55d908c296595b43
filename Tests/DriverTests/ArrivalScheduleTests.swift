import Testing
import Wire

@testable import Driver

#if canImport(Glibc)
import Glibc
#endif

/// The open loop's schedule without a server: Poisson gaps are exponential at the asked mean, uniform ones all alike,
/// and a ramp or steps offer the asked rate in each of their parts. Every generator is seeded: a run is the same run.
struct ArrivalScheduleTests {
    /// A schedule whose window opens one second after the run starts at 0 (so the warmup is the second before it).
    private func schedule(_ rate: OfferedRate, _ arrivals: Arrivals, clients: Int, windowSeconds: Int = 4)
        -> ArrivalSchedule
    {
        ArrivalSchedule(
            rate, arrivals: arrivals, clients: clients, windowStartNanos: 1_000_000_000,
            windowMicros: windowSeconds * 1_000_000)
    }

    /// Every intended moment of every client from the run's start until `endNanos`.
    private func moments(_ schedule: ArrivalSchedule, clients: Int, until endNanos: UInt64) -> [UInt64] {
        var random = WyRand(seed: 25)
        var all: [UInt64] = []
        for client in 0..<clients {
            var moment = schedule.first(client: client, startNanos: 0, random: &random)
            while moment < endNanos {
                all.append(moment)
                moment = schedule.next(after: moment, random: &random)
            }
        }
        return all
    }

    /// The moments in each second of the window (second 0 opens at 1 s).
    private func perSecond(_ moments: [UInt64], seconds: Int) -> [Int] {
        (0..<seconds).map { second in
            let start = UInt64(second + 1) * 1_000_000_000
            return moments.filter { $0 >= start && $0 < start + 1_000_000_000 }.count
        }
    }

    @Test func poissonGapsAreExponentialAtTheAskedMean() {
        // 10 clients sharing 1,000/s: each client's gaps have a mean of 10 ms.
        let poisson = schedule(.constant(1_000), .poisson, clients: 10)
        var random = WyRand(seed: 3)
        var moment: UInt64 = 1_000_000_000
        var gaps: [Double] = []
        for _ in 0..<100_000 {
            let next = poisson.next(after: moment, random: &random)
            gaps.append(Double(next - moment) / 1e9)
            moment = next
        }
        let mean = 0.010
        let drawn = gaps.reduce(0, +) / Double(gaps.count)
        // The mean of 100,000 draws has a standard error of 0.32% of it: 1.3% is four of them.
        #expect(abs(drawn - mean) < 0.013 * mean, "mean gap \(drawn) s, asked \(mean) s")
        // Kolmogorov-Smirnov against the exponential of that mean: D under the 1% critical value, 1.63 / sqrt(n).
        let sorted = gaps.sorted()
        let n = Double(sorted.count)
        var distance = 0.0
        for (index, gap) in sorted.enumerated() {
            let cdf = 1 - exp(-gap / mean)
            distance = max(distance, Double(index + 1) / n - cdf, cdf - Double(index) / n)
        }
        #expect(distance < 1.63 / n.squareRoot(), "D = \(distance)")
    }

    @Test func uniformGapsAreExactlyEvenAndTheClientsStaggered() {
        let uniform = schedule(.constant(1_000), .uniform, clients: 10)
        var random = WyRand(seed: 3)
        var moment = uniform.first(client: 0, startNanos: 0, random: &random)
        for _ in 0..<1_000 {
            let next = uniform.next(after: moment, random: &random)
            #expect(next - moment == 10_000_000)
            moment = next
        }
        // One start of the rate apart: 1 ms.
        let firsts = (0..<10).map { uniform.first(client: $0, startNanos: 0, random: &random) }
        #expect(firsts == (0..<10).map { UInt64($0) * 1_000_000 })
    }

    /// Uniform: the run's starts are one per start of the curve, so each second holds its integral to within one.
    @Test func aRampOffersItsRateSecondBySecond() {
        // 100/s in the warmup, then 100 to 300/s over 4 s: 125, 175, 225 and 275 starts in the four seconds.
        let ramp = schedule(.ramp(from: 100, to: 300), .uniform, clients: 10)
        let all = moments(ramp, clients: 10, until: 5_000_000_000)
        #expect(abs(all.filter { $0 < 1_000_000_000 }.count - 100) <= 1, "the warmup runs at the first rate")
        for (second, count) in perSecond(all, seconds: 4).enumerated() {
            let asked = 125 + 50 * second
            #expect(abs(count - asked) <= 1, "second \(second): \(count) starts, asked \(asked)")
        }
    }

    @Test func stepsOfferEachRateForItsStepAndTheLastHolds() {
        let steps = schedule(.steps([100, 300, 200], stepMicros: 1_000_000), .uniform, clients: 10)
        let counts = perSecond(moments(steps, clients: 10, until: 5_000_000_000), seconds: 4)
        for (count, asked) in zip(counts, [100, 300, 200, 200]) {
            #expect(abs(count - asked) <= 1, "\(counts): asked 100, 300, 200, 200")
        }
    }

    /// Poisson over a changing rate: each part's count is a draw, so it is held to 4% (4 standard deviations of the
    /// smallest count, 10,000).
    @Test(arguments: [
        (OfferedRate.ramp(from: 10_000, to: 30_000), [15_000, 25_000]),
        (.steps([10_000, 40_000], stepMicros: 1_000_000), [10_000, 40_000]),
    ])
    func poissonArrivalsOfferTheAskedRateInEachPart(rate: OfferedRate, asked: [Int]) {
        let poisson = schedule(rate, .poisson, clients: 50, windowSeconds: 2)
        let counts = perSecond(moments(poisson, clients: 50, until: 3_000_000_000), seconds: 2)
        for (count, expected) in zip(counts, asked) {
            #expect(abs(Double(count - expected)) < 0.04 * Double(expected), "\(counts), asked \(asked)")
        }
    }
}
