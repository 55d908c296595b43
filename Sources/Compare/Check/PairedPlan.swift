/// The order of a paired run (`bench check --against`): for every repetition and subject (each model, then the
/// driver), one cell of each build, one right after the other, so that what the machine does meanwhile hits both.
///
/// Which build goes first alternates from pair to pair and from repetition to repetition (each goes first in half
/// the pairs of a subject), and the subject that starts a repetition rotates, as in ``ComparePlan``: neither build
/// always inherits the other's TIME_WAIT sockets or a warmer cache.
///
/// A model the other build lacks has no counterpart there: its pairs are with the C reference server
/// (``PairedCheck/reference``), or, where that cannot serve the protocol, it runs in this build alone.
public struct PairedPlan: Sendable {
    public let cells: [ComparePlan.Cell]

    /// `counterpart(subject)`: the build that pairs with this one's for that subject (`against` or `reference`), or
    /// nil for none.
    public init(
        subjects: [ComparePlan.Cell.Subject], clients: Int, repetitions: Int,
        counterpart: (ComparePlan.Cell.Subject) -> ComparePlan.Cell.Build? = { _ in .against }
    ) {
        precondition(!subjects.isEmpty && repetitions >= 1, "an empty paired run")
        var cells: [ComparePlan.Cell] = []
        for repetition in 1...repetitions {
            for offset in subjects.indices {
                let index = (repetition - 1 + offset) % subjects.count
                let subject = subjects[index]
                // By the subject's own index, not its place in this repetition, so that its order alternates.
                let pair = [ComparePlan.Cell.Build.current] + (counterpart(subject).map { [$0] } ?? [])
                let builds = (repetition + index) % 2 == 0 ? pair : pair.reversed()
                for build in builds {
                    cells.append(.init(subject: subject, clients: clients, repetition: repetition, build: build))
                }
            }
        }
        self.cells = cells
    }
}
