import ArgumentParser

extension Bench {
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "(being built)")
        func run() async throws { throw ValidationError("bench check is being built") }
    }
}
