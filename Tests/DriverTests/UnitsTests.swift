import Testing

@testable import Driver

/// The units parser (wrk's units.c in Swift): figures people type, and sentences for what they should not.
struct UnitsTests {
    @Test(arguments: [("10s", 10_000_000), ("500ms", 500_000), ("2m", 120_000_000), ("250us", 250), ("1.5", 1_500_000),
        ("1h", 3_600_000_000), ("0ms", 0)])
    func durations(text: String, micros: Int) throws {
        #expect(try Units.durationMicros(text, option: "--duration") == micros)
    }

    /// Found by Fuzz/Targets/options (Fuzz/corpus/options/rate-steps-past-1e9us): the bound was on the number, so 20
    /// minutes written back in microseconds, as bench writes every duration it hands on, was refused.
    @Test func aLongDurationWrittenInMicrosecondsReadsBack() throws {
        #expect(try Units.durationMicros("1200000000us", option: "--duration") == 1_200_000_000)
        #expect(try Units.durationMicros("18m", option: "--step") == 1_080_000_000)
    }

    @Test(arguments: ["", "ten", "10x", "-1s", "s", "1e999s", "nan", "1e9h", "3.6e18us"])
    func durationGarbageIsRefusedWithASentence(text: String) {
        #expect(throws: Units.ParseError(
            description: "--duration takes a duration such as 10s, 500ms or 2m, got '\(text)'")
        ) { try Units.durationMicros(text, option: "--duration") }
    }

    @Test(arguments: [("100", 100), ("10k", 10_000), ("1.5m", 1_500_000), ("2K", 2_000)])
    func counts(text: String, value: Int) throws {
        #expect(try Units.wholeCount(text, option: "--clients") == value)
    }

    @Test(arguments: ["0", "1.5", "k", "12q", "-3"])
    func countGarbageIsRefused(text: String) {
        #expect(throws: Units.ParseError.self) { try Units.wholeCount(text, option: "--clients") }
    }

    /// Found by Fuzz/Targets/options (Fuzz/corpus/options/count-past-the-largest-double): `.41e308m` is a finite
    /// number whose millions are not, and `--rate` took an infinite rate.
    @Test(arguments: [".41e308m", "1e300g"])
    func aCountPastTheLargestDoubleIsRefused(text: String) {
        #expect(throws: Units.ParseError.self) { try Units.count(text, option: "--rate") }
    }

    @Test func sizes() throws {
        #expect(try Units.sizeRange("16", option: "--size", maximum: 1 << 20) == 16...16)
        #expect(try Units.sizeRange("1-4096", option: "--size", maximum: 1 << 20) == 1...4096)
        #expect(try Units.sizeRange("1k-2k", option: "--size", maximum: 1 << 20) == 1_000...2_000)
    }

    @Test(arguments: ["0-5", "5-1", "0", "1-", "-4", "1-2-3", "2000000", "a-b"])
    func sizeGarbageIsRefusedWithASentence(text: String) {
        #expect(throws: Units.ParseError(
            description: "--size takes N or MIN-MAX with 1 <= MIN <= MAX <= 1048576, got '\(text)'")
        ) { try Units.sizeRange(text, option: "--size", maximum: 1 << 20) }
    }

    @Test func aRunNeedingMoreDescriptorsThanAllowedIsRefusedNamingTheLimit() {
        var settings = LoadSettings()
        settings.clients = 10_000
        settings.threads = 2
        let problem = settings.problem(descriptorLimit: 1_024)
        #expect(problem?.contains("soft RLIMIT_NOFILE is 1024") == true)
        #expect(problem?.contains("10034 file descriptors") == true)  // 10,000 clients + 2 loops + 32 spare
        settings.processes = 10
        #expect(settings.problem(descriptorLimit: 1_034) == nil)  // 1,000 clients + 2 loops + 32 per process
    }

    /// Found by Fuzz/Targets/http-roundtrip (Fuzz/corpus/http-roundtrip/path-not-ascii): a path with a letter beyond
    /// ASCII was sent as its UTF-8 bytes, and every request was answered 400.
    @Test(arguments: [("/bytes/{size}?cpu=1ms", true), ("/caf%C3%A9", true), ("/café", false), ("/a\u{FFFD}", false)])
    func aPathIsVisibleASCII(path: String, accepted: Bool) {
        var settings = LoadSettings()
        settings.wireProtocol = .http
        settings.path = path
        #expect((settings.problem() == nil) == accepted, "\(settings.problem() ?? "accepted")")
    }

    @Test func settingsThatContradictEachOtherAreRefused() {
        var settings = LoadSettings()
        settings.threads = 2
        settings.pipeline = 4
        #expect(settings.problem()?.contains("--pipeline and --requests apply to --protocol request") == true)
        settings = LoadSettings()
        settings.host = "localhost"
        #expect(settings.problem()?.contains("IPv4 or IPv6 address") == true)
        settings = LoadSettings()
        settings.rate = .constant(0)
        #expect(settings.problem()?.contains("--rate takes at least 1") == true)
    }
}
