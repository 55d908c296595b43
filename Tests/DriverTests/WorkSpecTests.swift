import Foundation
import Testing
import Wire

@testable import Driver

/// `--work SPEC`: what it reads, what it refuses, and that its durations are drawn as they say.
struct WorkSpecTests {
    @Test func readsEveryKindAndShape() throws {
        let plan = try Units.work("cpu=50us,wait=1ms-3ms,block=exp:2ms")
        #expect(plan.cpu == .fixed(50_000))
        #expect(plan.wait == .uniform(1_000_000, 3_000_000))
        #expect(plan.block == .exponential(2_000_000))
        let mixed = try Units.work("wait=150us:90%,2ms:10%,cpu=10us")
        #expect(mixed.wait == .mix([(150_000, 0.9), (2_000_000, 0.1)]))
        #expect(mixed.cpu == .fixed(10_000))
    }

    /// What a prefork server hands its workers: the spec they parse must be the one their parent was given.
    @Test(arguments: ["cpu=50us", "wait=1ms-3ms,block=exp:2ms", "cpu=10us,wait=150us:90%,2ms:10%", "block=1500us"])
    func itsTextReadsBackToTheSamePlan(spec: String) throws {
        let plan = try Units.work(spec)
        #expect(try Units.work(plan.text) == plan)
    }

    @Test(arguments: [
        ("sleep=1ms", "'sleep' is none of them"),
        ("cpu=1ms,cpu=2ms", "names cpu twice"),
        ("wait=3ms-1ms", "a range needs MIN <= MAX"),
        ("wait=1ms:50%,2ms:40%", "add up to 90%"),
        ("wait=1ms:50%,2ms", "got '2ms'"),
        ("wait=1ms:50%,2ms:x", "each part D:P%"),
        ("cpu=lots", "takes a duration"),
        ("block=exp:0ms", "a mean above 0"),
        ("wait=61s", "at most 60s"),
        ("cpu=1000000h", "at most 60s"),
        ("", "takes a comma list"),
        ("50us", "takes a comma list"),
    ])
    func refusesWhatItCannotReadWithASentence(spec: String, says: String) {
        let error = #expect(throws: Units.ParseError.self) { try Units.work(spec) }
        #expect(error?.description.contains(says) == true, "\(String(describing: error))")
    }

    /// The exponential's mean is its mean; a uniform range stays within its bounds and reaches both ends; a mix gives
    /// each duration its share.
    @Test func drawsFollowTheirDistributions() {
        var random = WyRand(seed: 7)
        let draws = 100_000
        let exponential = (0..<draws).map { _ in Double(WorkDuration.exponential(1_000_000).draw(using: &random)) }
        let mean = exponential.reduce(0, +) / Double(draws)
        #expect(abs(mean - 1e6) < 0.02e6, "mean \(mean)")
        // An exponential's standard deviation equals its mean; a constant or a uniform's would not.
        let deviation = (exponential.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(draws)).squareRoot()
        #expect(abs(deviation - 1e6) < 0.03e6, "deviation \(deviation)")
        let uniform = (0..<draws).map { _ in WorkDuration.uniform(10, 20).draw(using: &random) }
        #expect(uniform.min() == 10 && uniform.max() == 20)
        let mix = WorkDuration.mix([(1, 0.9), (2, 0.1)])
        let long = (0..<draws).filter { _ in mix.draw(using: &random) == 2 }.count
        #expect(abs(Double(long) / Double(draws) - 0.1) < 0.005, "\(long) of \(draws) long")
    }
}
