import Testing

@testable import Driver

/// The options of the classic conversations as people type them: size mixes, reconnect backoff, client mixes.
struct ConversationOptionsTests {
    @Test func aSizeMixIsReadWithItsShares() throws {
        let mix = try Units.sizeMix("16:90%,1-4k:7.5%,1m:2.5%", option: "--size", maximum: 1 << 20)
        #expect(mix == [
            SizeShare(min: 16, max: 16, percent: 90), SizeShare(min: 1, max: 4_000, percent: 7.5),
            SizeShare(min: 1_000_000, max: 1_000_000, percent: 2.5),
        ])
        #expect(SizeShare.text(mix) == "16:90%,1-4000:7.5%,1000000:2.5%")
        #expect(try Units.sizeMix("4096", option: "--size", maximum: 1 << 20).isEmpty, "a lone size is no mix")
    }

    @Test(arguments: [
        ("16:90%,1m:20%", "the shares of '16:90%,1m:20%' add up to 110%, not 100%"),
        ("16:90,1m:10%", "each part SIZE:P%"),
        ("16:90%,2m:10%", "1 <= MIN <= MAX <= 1048576"),
    ])
    func aWrongSizeMixSaysWhatIsWrong(text: String, words: String) {
        #expect {
            try Units.sizeMix(text, option: "--size", maximum: 1 << 20)
        } throws: { ($0 as? Units.ParseError)?.description.contains(words) == true }
    }

    @Test func backoffTakesItsDefaultOrBounds() throws {
        #expect(try Units.backoff("backoff", option: "--reconnect") == 10_000...1_000_000)
        #expect(try Units.backoff("backoff=50ms..5s", option: "--reconnect") == 50_000...5_000_000)
        for wrong in ["retry", "backoff=5s..50ms", "backoff=10ms"] {
            #expect(throws: Units.ParseError.self) { try Units.backoff(wrong, option: "--reconnect") }
        }
    }

    static let defaults = ClientProfile(
        name: "", percent: 100, requestsPerConnection: 3, thinkMicros: 0, jitterMicros: 0)

    @Test func aClientMixTakesEachProfilesSettingsAndTheRunsForTheRest() throws {
        let mix = try ClientProfile.parse(
            "watchdog=10%,requests=1,think=5s; typical=80%,requests=10,think=200ms,jitter=100ms; heavy=10%",
            defaults: Self.defaults)
        #expect(mix.map(\.name) == ["watchdog", "typical", "heavy"])
        #expect(mix.map(\.requestsPerConnection) == [1, 10, 3])
        #expect(mix.map(\.thinkMicros) == [5_000_000, 200_000, 0])
        #expect(mix[1].jitterMicros == 100_000)
        // Profiles take their share of the clients, to within one client.
        let owners = (0..<100).map { ClientProfile.profile(ofClient: $0, clients: 100, in: mix) }
        #expect([0, 1, 2].map { place in owners.filter { $0 == place }.count } == [10, 80, 10])
    }

    @Test(arguments: [
        ("a=50%; b=40%", "add up to 90%"),
        ("a=50%; a=50%", "its own name"),
        ("a=100%,sleep=1s", "'sleep' is not a profile setting"),
        ("a=100%,think=1s,jitter=2s", "jitter exceeds its think time"),
        ("requests=1", "each profile begins NAME=P%"),
        // Found by Fuzz/Targets/options (Fuzz/corpus/options/mix-of-commas): taken as a profile without a name.
        (",", "each profile begins NAME=P%"),
        ("a=100%;,", "each profile begins NAME=P%"),
    ])
    func aWrongClientMixSaysWhatIsWrong(text: String, words: String) {
        #expect {
            try ClientProfile.parse(text, defaults: Self.defaults)
        } throws: { ($0 as? Units.ParseError)?.description.contains(words) == true }
    }
}
