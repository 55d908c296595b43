import ArgumentParser
import Wire

extension Bench {
    struct Protocols: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the protocols, one per line: the name, a tab, what it is.",
            discussion: "The registry every other command takes its protocols from (.ci/run loops over it); "
                + "docs/PROTOCOL.md defines each."
        )

        func run() {
            for wireProtocol in WireProtocol.allCases { print("\(wireProtocol.rawValue)\t\(wireProtocol.traits.summary)") }
        }
    }
}
