import ArgumentParser
import Servers

extension Bench {
    struct Models: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the server models, one per line: the name, a tab, what it is.",
            discussion: "The registry every other command takes its models from (.ci/run loops over it)."
        )

        func run() {
            for model in ServerModel.allCases { print("\(model.rawValue)\t\(model.traits.summary)") }
        }
    }
}
