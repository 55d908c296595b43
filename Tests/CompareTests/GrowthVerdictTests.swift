import Testing

@testable import Compare

/// The soak's verdict on one series: a leak as small as the bound allows is called, noise and a warm-up are not.
@Suite struct GrowthVerdictTests {
    /// A repeatable noise in -1...1 (a linear congruential generator), so that no run of the suite draws another.
    struct Noise {
        var state: UInt64 = 42
        mutating func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53) * 2 - 1
        }
    }

    /// A series a second for `seconds`, `value(t)` plus noise of up to `noise` either way.
    static func series(seconds: Int, noise: Double = 0, _ value: (Double) -> Double) -> [(time: Double, value: Double)] {
        var draw = Noise()
        return (0...seconds).map { (Double($0), value(Double($0)) + noise * draw.next()) }
    }

    static let mib = 1_048_576.0

    @Test func aLeakOfOneKiBPerConnectionAtAThousandASecondGrew() {
        // 1 KiB x 1,000 connections/s: 1 MiB a second, behind 4 MiB of allocator noise, on 40 MiB.
        let verdict = GrowthVerdict(
            metric: .rss, series: Self.series(seconds: 180, noise: 4 * Self.mib) { 40 * Self.mib + $0 * Self.mib })
        #expect(verdict.grew, "growth \(verdict.growth ?? 0), bound \(verdict.bound)")
        #expect(abs((verdict.growth ?? 0) - 90 * Self.mib) < 5 * Self.mib)
        #expect(verdict.word == "GREW")
    }

    @Test func aLeakJustPastTheFloorGrew() {
        // 3 MiB over the second half of 10 minutes, without noise: past the 2 MiB floor, above 5% of 30-36 MiB.
        let verdict = GrowthVerdict(
            metric: .rss, series: Self.series(seconds: 600) { 30 * Self.mib + $0 / 300 * 3 * Self.mib })
        #expect(verdict.grew)
        #expect(verdict.bound == GrowthVerdict.Metric.rss.floor)
    }

    @Test func noiseAroundAFlatLineHeld() {
        let verdict = GrowthVerdict(metric: .rss, series: Self.series(seconds: 180, noise: 3 * Self.mib) { _ in 40 * Self.mib })
        #expect(!verdict.grew, "growth \(verdict.growth ?? 0), bound \(verdict.bound)")
        #expect(verdict.word == "held")
    }

    @Test func aWarmUpThatLevelsOffInTheFirstHalfHeld() {
        // 30 MiB in the first minute (arenas, pools, buffers), then flat: the second half is not growing.
        let verdict = GrowthVerdict(metric: .rss, series: Self.series(seconds: 300) { 20 * Self.mib + min($0, 60) / 2 * Self.mib })
        #expect(!verdict.grew)
        #expect(verdict.growth == 0)
    }

    @Test func descriptorsLostOneEveryTenSecondsGrew() {
        // Connections open come and go by up to 10 at a time; one descriptor lost every 10 s is 15 over the half.
        let verdict = GrowthVerdict(metric: .fds, series: Self.series(seconds: 300, noise: 10) { 120 + ($0 / 10).rounded(.down) })
        #expect(verdict.grew, "growth \(verdict.growth ?? 0), bound \(verdict.bound)")
    }

    @Test func threadsThatComeAndGoWithTheConnectionsHeld() {
        let verdict = GrowthVerdict(metric: .threads, series: Self.series(seconds: 60, noise: 30) { _ in 100 })
        #expect(!verdict.grew, "growth \(verdict.growth ?? 0), bound \(verdict.bound)")
    }

    @Test func theBoundIsTheLargestOfFloorShareAndNoise() {
        #expect(GrowthVerdict.bound(metric: .rss, mean: 10 * Self.mib, standardError: 0) == 2 * Self.mib)
        #expect(GrowthVerdict.bound(metric: .rss, mean: 100 * Self.mib, standardError: 0) == 5 * Self.mib)
        #expect(GrowthVerdict.bound(metric: .fds, mean: 20, standardError: 4) == 12)
        #expect(GrowthVerdict.bound(metric: .threads, mean: 7, standardError: 0) == 4)
    }

    /// 26 idle and slow clients, closed by the server's timeouts and reconnecting in waves, may all be closed when
    /// the second half begins and all open when it ends: a rise of up to 26 descriptors that is no leak (CI's soak
    /// saw 12.3 against a bound of 14.2, 2026-12-06).
    @Test func backgroundClientsReconnectingInWavesHeld() {
        let series = Self.series(seconds: 60, noise: 1) { 14 + max(0, $0 - 30) * 0.8 }
        let alone = GrowthVerdict(metric: .fds, series: series)
        #expect(alone.grew, "growth \(alone.growth ?? 0), bound \(alone.bound): no longer the case this covers")
        let verdict = GrowthVerdict(metric: .fds, series: series, background: 26)
        #expect(!verdict.grew, "growth \(verdict.growth ?? 0), bound \(verdict.bound)")
        // Memory and threads are not the background's.
        #expect(GrowthVerdict.bound(metric: .rss, mean: 0, standardError: 0, background: 26) == 2 * Self.mib)
    }

    @Test func theFitOfAStraightLineIsExact() throws {
        let fit = try #require(GrowthVerdict.fit([(0, 1), (1, 3), (2, 5), (3, 7)]))
        #expect(fit.slope == 2)
        #expect(fit.slopeError == 0)
    }

    @Test func tooFewSamplesInTheSecondHalfAreNoVerdict() {
        let verdict = GrowthVerdict(metric: .fds, series: [(0, 10), (1, 1000), (2, 100_000)])
        #expect(verdict.growth == nil)
        #expect(!verdict.grew)
        #expect(verdict.word == "too short")
    }
}
