import Driver
import Servers
import Testing

@testable import Compare

/// What a paired check pairs each subject with, and why one runs alone: a model the other build lacks, and over TLS
/// another build older than TLS support.
@Suite struct PairingTests {
    static let blocking = ComparePlan.Cell.Subject.model(ServerModel(rawValue: "blocking")!)
    static let eventLoop = ComparePlan.Cell.Subject.model(ServerModel(rawValue: "event-loop")!)

    @Test func inPlaintextAMissingModelPairsWithTheReferenceOrSaysWhyItCannot() {
        let serving = Pairing(againstModels: ["blocking"], referenceUnavailable: nil)
        #expect(serving.partner(of: Self.blocking) == .paired(.against))
        #expect(serving.partner(of: Self.eventLoop) == .paired(.reference))
        #expect(serving.partner(of: .driver) == .paired(.against))
        let missing = Pairing(againstModels: ["blocking"], referenceUnavailable: "refserver speaks no TLS")
        #expect(missing.partner(of: Self.eventLoop) == .alone("not in the other build, and refserver speaks no TLS"))
        #expect(!missing.againstSpeaksNoTLS)
    }

    @Test func overTLSABuildWithoutTLSRunsNothingAndEachSubjectSaysWhy() {
        let old = Pairing(
            againstModels: ["blocking"], referenceUnavailable: "refserver speaks no TLS",
            againstTLS: (serve: false, drive: false))
        #expect(old.partner(of: Self.blocking) == .alone("the other build speaks no TLS"))
        #expect(old.partner(of: .driver) == .alone("the other build's driver speaks no TLS"))
        #expect(old.partner(of: Self.eventLoop) == .alone("not in the other build, and refserver speaks no TLS"))
        #expect(old.againstSpeaksNoTLS)
        let current = Pairing(
            againstModels: ["blocking"], referenceUnavailable: "refserver speaks no TLS",
            againstTLS: (serve: true, drive: true))
        #expect(current.partner(of: Self.blocking) == .paired(.against))
        #expect(current.partner(of: .driver) == .paired(.against))
        #expect(!current.againstSpeaksNoTLS)
    }

    /// With work per request, a build older than --work cannot serve the models' cells, and refserver, which does no
    /// work, cannot stand in for a model; the driver's pairs need no work and still pair.
    @Test func withWorkABuildWithoutWorkServesNoModelAndTheDriverStillPairs() {
        let old = Pairing(againstModels: ["blocking"], referenceUnavailable: nil, againstWork: false)
        #expect(old.partner(of: Self.blocking) == .alone("the other build's servers take no --work"))
        #expect(old.partner(of: Self.eventLoop) == .alone("not in the other build, and refserver does no --work"))
        #expect(old.partner(of: .driver) == .paired(.against))
        let current = Pairing(againstModels: ["blocking"], referenceUnavailable: nil, againstWork: true)
        #expect(current.partner(of: Self.blocking) == .paired(.against))
        #expect(current.partner(of: Self.eventLoop) == .alone("not in the other build, and refserver does no --work"))
    }

    /// The run's plan and the reasons it hands the check agree: a subject alone has cells of this build only.
    @Test func aRunPlansOnlyThisBuildsCellsForASubjectAloneAndNamesItsReason() {
        var load = LoadSettings()
        load.tls = .init()
        let settings = CompareSettings(
            models: [ServerModel(rawValue: "blocking")!], clients: [4], repetitions: 3, load: load,
            serverArguments: ["--tls"], pin: false)
        let run = PairedRun(
            settings: settings, executable: "/this",
            against: AgainstBuild(executable: "/old", commit: "", label: "old"),
            server: .blocking(executable: "/this", owner: "this tree", arguments: ["--tls"]), directory: "/tmp",
            pairing: Pairing(
                againstModels: ["blocking"], referenceUnavailable: "refserver speaks no TLS",
                againstTLS: (serve: false, drive: true)))
        #expect(run.plan.cells.filter { $0.model == "blocking" }.allSatisfy { $0.build == .current })
        #expect(run.plan.cells.filter { $0.model == "driver" }.count == 6)
        #expect(run.alone == ["blocking": "the other build speaks no TLS"])
    }
}
