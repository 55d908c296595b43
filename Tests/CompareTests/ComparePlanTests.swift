import Servers
import Testing

@testable import Compare

@Suite struct ComparePlanTests {
    let models = ["blocking", "thread-pool", "event-loop"].compactMap(ServerModel.init(rawValue:))

    @Test func everyCellExactlyOnce() {
        let plan = ComparePlan(models: models, clients: [10, 100], repetitions: 3)
        #expect(plan.cells.count == 3 * 2 * 3)
        #expect(Set(plan.cells).count == plan.cells.count)
    }

    @Test func noModelAlwaysRunsFirst() {
        // 3 models, 1 client count, 3 repetitions: 3 blocks, so each model leads one block.
        let plan = ComparePlan(models: models, clients: [10], repetitions: 3)
        let leaders = stride(from: 0, to: plan.cells.count, by: models.count).map { plan.cells[$0].model }
        #expect(Set(leaders) == Set(models.map(\.rawValue)))
    }

    @Test func repetitionsAreTheOuterLoop() {
        let plan = ComparePlan(models: models, clients: [10, 100, 1000], repetitions: 2)
        let repetitions = plan.cells.map(\.repetition)
        #expect(repetitions == repetitions.sorted())
    }
}
