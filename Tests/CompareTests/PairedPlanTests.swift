import Servers
import Testing

@testable import Compare

@Suite struct PairedPlanTests {
    let subjects: [ComparePlan.Cell.Subject] =
        ["blocking", "thread-pool", "event-loop"].map { .model(ServerModel(rawValue: $0)!) } + [.driver]

    @Test func everyPairRunsBackToBackAndEachBuildGoesFirstInHalfOfThem() {
        let plan = PairedPlan(subjects: subjects, clients: 100, repetitions: 8)
        #expect(plan.cells.count == 4 * 8 * 2)
        var firsts: [String: [String: Int]] = [:]
        for index in stride(from: 0, to: plan.cells.count, by: 2) {
            let (first, second) = (plan.cells[index], plan.cells[index + 1])
            #expect(first.model == second.model && first.repetition == second.repetition)
            #expect(Set([first.build, second.build]) == [.current, .against])
            firsts[first.model, default: [:]][first.build!.rawValue, default: 0] += 1
        }
        for subject in subjects { #expect(firsts[subject.description] == ["current": 4, "against": 4], "\(subject)") }
    }

    @Test func theSubjectThatStartsARepetitionRotates() {
        let plan = PairedPlan(subjects: subjects, clients: 100, repetitions: 4)
        let starts = (0..<4).map { plan.cells[$0 * subjects.count * 2].subject }
        #expect(starts == subjects)
    }

    /// A model the other build lacks pairs with the reference server, or runs alone where that cannot serve.
    @Test func aModelWithoutCounterpartPairsWithTheReferenceOrRunsAlone() {
        let subjects: [ComparePlan.Cell.Subject] = [
            .model(ServerModel(rawValue: "blocking")!), .external("new"), .external("lonely"), .driver,
        ]
        let plan = PairedPlan(subjects: subjects, clients: 100, repetitions: 4) {
            ["new": ComparePlan.Cell.Build.reference, "lonely": nil][$0.description] ?? .against
        }
        func builds(_ subject: String) -> Set<String> {
            Set(plan.cells.filter { $0.model == subject }.map { $0.build!.rawValue })
        }
        #expect(builds("blocking") == ["current", "against"] && builds("driver") == ["current", "against"])
        #expect(builds("new") == ["current", "reference"])
        #expect(builds("lonely") == ["current"])
        #expect(plan.cells.filter { $0.model == "lonely" }.count == 4)
    }
}
