import ArgumentParser

extension Bench {
    struct Drive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "(being built)")
        func run() async throws { throw ValidationError("bench drive is being built") }
    }
}
