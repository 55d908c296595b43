import Testing

@testable import Driver

/// `--rate`, `--step` and `--arrivals` as typed, as checked against the rest of the settings, as handed to another
/// build's driver, and as each second of the timeline offers them.
struct OfferedRateTests {
    @Test(arguments: [
        ("500", nil, OfferedRate.constant(500)),
        ("1k..10k", nil, .ramp(from: 1_000, to: 10_000)),
        ("300..100", nil, .ramp(from: 300, to: 100)),
        ("1k,2k,4k", "10s", .steps([1_000, 2_000, 4_000], stepMicros: 10_000_000)),
    ] as [(String, String?, OfferedRate)])
    func readsEveryShape(rate: String, step: String?, expected: OfferedRate) throws {
        #expect(try OfferedRate.parse(rate: rate, step: step) == expected)
    }

    @Test func noRateIsAClosedLoop() throws {
        #expect(try OfferedRate.parse(rate: nil, step: nil) == nil)
    }

    /// Each mistake gets a sentence that names the option and shows the form that works.
    @Test(arguments: [
        ("5..", nil, "--rate A..B takes a rate at each end, such as 1k..10k"),
        ("..5", nil, "--rate A..B takes a rate at each end"),
        ("1..2..3", nil, "--rate A..B takes a rate at each end"),
        ("10,20", nil, "--rate 10,20 holds each rate for --step in turn: give it, such as --step 10s"),
        ("10,,20", "1s", "--rate A,B,C takes a rate in each place, such as 1k,2k,4k"),
        ("10,20", "0s", "--step takes a duration above zero"),
        ("10,20", "soon", "--step takes a duration such as 10s"),
        ("5", "10s", "--step applies to a --rate list such as 1k,2k,4k, not to the one rate '5'"),
        ("1..5", "10s", "--step applies to a --rate list such as 1k,2k,4k; a ramp A..B spans --duration"),
        (nil, "10s", "--step is how long each rate of a --rate list holds: give one, such as --rate 1k,2k,4k --step 10s"),
        ("fast", nil, "--rate takes a count such as 100, 10k or 1.5m, got 'fast'"),
    ] as [(String?, String?, String)])
    func refusesWhatIsNotARate(rate: String?, step: String?, message: String) {
        #expect {
            try OfferedRate.parse(rate: rate, step: step)
        } throws: { error in
            (error as? Units.ParseError)?.description.contains(message) == true
        }
    }

    @Test func settingsThatCannotOfferTheRateAreRefused() {
        var settings = LoadSettings()
        settings.rate = .steps([100, 0.5], stepMicros: 1_000_000)
        #expect(settings.problem()?.contains("--rate takes at least 1 start (or request) per second, got 0.5") == true)
        settings.rate = .steps([100, 200, 300], stepMicros: 10_000_000)
        settings.durationMicros = 20_000_000
        #expect(
            settings.problem()?.contains("--duration (20s) ends before the steps of --rate do (30s): leave --duration "
                + "out, or make it at least 30s") == true)
        settings.durationMicros = 40_000_000
        #expect(settings.problem() == nil, "a longer window holds the last rate")
        settings.rate = nil
        settings.arrivals = .poisson
        #expect(settings.problem()?.contains("--arrivals poisson spaces the starts of an open loop: give --rate") == true)
    }

    /// Another build's driver is given the options, which must read back as the same load; defaults stay unsaid.
    /// Steps of 18 minutes, found by Fuzz/Targets/options, were written as 1080000000us, which did not read back.
    @Test(arguments: [
        OfferedRate.constant(1_500), .ramp(from: 100, to: 2_500.5), .steps([100, 200], stepMicros: 2_500_000),
        .steps([1_000, 2_000, 4_000], stepMicros: 1_080_000_000),
    ])
    func theDriveArgumentsAskForTheSameLoad(rate: OfferedRate) throws {
        var settings = LoadSettings()
        settings.rate = rate
        #expect(!settings.driveArguments.contains("--arrivals"))
        settings.arrivals = .poisson
        let arguments = settings.driveArguments
        func value(of option: String) -> String? {
            arguments.firstIndex(of: option).map { arguments[$0 + 1] }
        }
        #expect(try OfferedRate.parse(rate: value(of: "--rate"), step: value(of: "--step")) == rate)
        #expect(value(of: "--arrivals") == "poisson")
    }

    @Test func eachSecondOffersItsPartOfTheRate() {
        var settings = LoadSettings()
        (settings.clients, settings.threads, settings.durationMicros) = (10, 1, 2_500_000)
        settings.rate = .ramp(from: 100, to: 600)
        // 100 + 200 t a second over 2.5 s: 200 starts in the first second, 400 in the second, 275 in the last half.
        #expect((0..<3).map { settings.offeredStarts(inSecond: $0) } == [200, 400, 275])
        #expect(settings.rate?.mean(windowMicros: settings.durationMicros) == 350)
        // A host of a --share 1/2 offers its clients' part: 5 of the 10.
        settings.hostShares = 2
        #expect(settings.offeredStarts(inSecond: 0) == 100)
        settings.rate = nil
        #expect(settings.offeredStarts(inSecond: 0) == nil)
    }
}
