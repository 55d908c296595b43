import Metrics
import Testing

@testable import Compare

/// The search alone, against servers that pass exactly up to a known capacity, and the percentile's interval.
struct KneeSearchTests {
    /// Runs a search against a server whose steps pass up to `capacity`; returns the rates asked and the result.
    private func search(capacity: Double, start: Double) -> (rates: [Double], found: Double?) {
        var search = KneeSearch(startRate: start)
        var rates: [Double] = []
        while let rate = search.next {
            rates.append(rate)
            search.record(rate, passed: rate <= capacity)
        }
        return (rates, search.highestPass)
    }

    @Test(arguments: [(7_300.0, 1_000.0), (1_000.0, 1_000.0), (123_456.0, 1_000.0), (300.0, 1_000.0)])
    func findsTheCapacityWithinTwoPercentInFewSteps(capacity: Double, start: Double) throws {
        let (rates, found) = search(capacity: capacity, start: start)
        let knee = try #require(found)
        #expect(knee <= capacity && knee >= 0.98 * capacity, "found \(knee) for \(capacity) after \(rates)")
        let ramp = rates.prefix { $0 <= capacity }.count + 1
        #expect(rates.count <= ramp + 15, "\(rates)")
        // The ramp doubles; nothing is asked twice.
        #expect(Set(rates).count == rates.count)
    }

    @Test func givesUpBelowOnePercentOfTheStartWhenNothingPasses() {
        let (rates, found) = search(capacity: 0, start: 1_000)
        #expect(found == nil)
        #expect(rates.count == 7 && rates.last! >= 10, "\(rates)")  // 1,000, 500, ..., 15.6
    }

    @Test func theFloorIsWhereEachClientStartsOnceAWindow() {
        #expect(KneeSearch.floor(startRate: 1_000, clients: 100, windowMicros: 2_000_000) == 50)
        #expect(KneeSearch.floor(startRate: 1_000, clients: 1, windowMicros: 2_000_000) == 10)
    }

    @Test func stopsAfterFifteenBisectionsWhenThePrecisionIsOutOfReach() {
        var search = KneeSearch(startRate: 1_000, precision: 0, maxBisections: 15)
        var steps = 0
        while let rate = search.next {
            steps += 1
            search.record(rate, passed: rate <= 1_500)
        }
        #expect(steps == 2 + 15)  // 1,000 passes, 2,000 fails, then 15 bisections
    }

    @Test func theIntervalHoldsThePercentileAndNarrowsWithMoreSamples() throws {
        func uniform(_ count: Int) -> LatencyHistogram {
            var histogram = LatencyHistogram()
            for index in 0..<count { histogram.record(micros: UInt64(1 + index * 10_000 / count)) }
            return histogram
        }
        let few = try #require(PercentileInterval.of(uniform(1_000), percentile: 99))
        let many = try #require(PercentileInterval.of(uniform(100_000), percentile: 99))
        #expect(few.contains(9_900) && many.contains(9_900), "\(few) \(many)")
        #expect(many.upperBound - many.lowerBound < few.upperBound - few.lowerBound)
        // Binomial ranks: 1,000 samples put p99's interval about 6 ranks (60 us here) either side.
        #expect(few.lowerBound >= 9_800 && few.upperBound <= 10_000, "\(few)")
        #expect(PercentileInterval.of(LatencyHistogram(), percentile: 99) == nil)
    }
}
