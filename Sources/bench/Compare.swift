import ArgumentParser

extension Bench {
    struct Compare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "(being built)")
        func run() async throws { throw ValidationError("bench compare is being built") }
    }
}
