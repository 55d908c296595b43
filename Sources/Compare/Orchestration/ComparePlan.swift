/// The order in which `bench compare` runs its cells: every model x client count x repetition once, with the
/// order of models rotated from one block to the next, so that machine drift over a run (a neighbour's load,
/// thermal limits, TIME_WAIT build-up) does not always favour the model that runs first.
public struct ComparePlan: Sendable {
    /// One measurement: one server model driven with one client count, once.
    public struct Cell: Hashable, Sendable, CustomStringConvertible {
        public var model: String
        public var clients: Int
        /// 1-based.
        public var repetition: Int
        /// `bench check --against`: which build served (or drove) the cell, `current` or `against`; nil elsewhere.
        public var build: String?

        public init(model: String, clients: Int, repetition: Int, build: String? = nil) {
            self.model = model
            self.clients = clients
            self.repetition = repetition
            self.build = build
        }

        public var description: String {
            "\(model)\(build.map { " (\($0) build)" } ?? "") x \(clients) clients, repetition \(repetition)"
        }
    }

    public let cells: [Cell]

    /// Repetitions are the outer loop (a run stopped early has whole repetitions of every model), client
    /// counts next, and models innermost, starting one model later in each block.
    public init(models: [String], clients: [Int], repetitions: Int) {
        precondition(!models.isEmpty && !clients.isEmpty && repetitions >= 1, "an empty comparison")
        var cells: [Cell] = []
        var block = 0
        for repetition in 1...repetitions {
            for count in clients {
                for offset in models.indices {
                    let model = models[(block + offset) % models.count]
                    cells.append(Cell(model: model, clients: count, repetition: repetition))
                }
                block += 1
            }
        }
        self.cells = cells
    }
}
