import Servers

/// The order in which `bench compare` runs its cells: every model x client count x repetition once, with the
/// order of models rotated from one block to the next, so that machine drift over a run (a neighbour's load,
/// thermal limits, TIME_WAIT build-up) does not always favour the model that runs first.
public struct ComparePlan: Sendable {
    /// One measurement: one server model driven with one client count, once.
    public struct Cell: Hashable, Sendable, CustomStringConvertible {
        /// What a cell measures.
        public enum Subject: Hashable, Sendable, CustomStringConvertible {
            case model(ServerModel)
            /// `bench check`'s driver pairs: each build's driver against a fixed server.
            case driver
            /// A server this program did not start, by the name it was given (`bench drive --label`, `bench knee
            /// --port`).
            case external(String)

            /// The name in the files' `model` column and in the tables.
            public var description: String {
                switch self {
                case .model(let model): model.rawValue
                case .driver: "driver"
                case .external(let name): name
                }
            }

            public var serverModel: ServerModel? {
                if case .model(let model) = self { model } else { nil }
            }
        }

        /// `bench check --against`: which build served or drove a cell.
        public enum Build: String, Sendable {
            case current, against
            /// The C reference server, in the place of a model the other build lacks.
            case reference
        }

        public var subject: Subject
        public var clients: Int
        /// 1-based.
        public var repetition: Int
        /// Which build served (or drove) the cell in a paired check; nil elsewhere.
        public var build: Build?

        public init(subject: Subject, clients: Int, repetition: Int, build: Build? = nil) {
            self.subject = subject
            self.clients = clients
            self.repetition = repetition
            self.build = build
        }

        /// The subject's name, as the files and tables write it.
        public var model: String { subject.description }

        public var description: String {
            "\(model)\(build.map { " (\($0.rawValue) build)" } ?? "") x \(clients) clients, repetition \(repetition)"
        }
    }

    public let cells: [Cell]

    /// Repetitions are the outer loop (a run stopped early has whole repetitions of every model), client
    /// counts next, and models innermost, starting one model later in each block.
    public init(models: [ServerModel], clients: [Int], repetitions: Int) {
        precondition(!models.isEmpty && !clients.isEmpty && repetitions >= 1, "an empty comparison")
        var cells: [Cell] = []
        var block = 0
        for repetition in 1...repetitions {
            for count in clients {
                for offset in models.indices {
                    let model = models[(block + offset) % models.count]
                    cells.append(Cell(subject: .model(model), clients: count, repetition: repetition))
                }
                block += 1
            }
        }
        self.cells = cells
    }
}
