import ArgumentParser

extension Bench {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "(being built)")
        func run() async throws { throw ValidationError("bench serve is being built") }
    }
}
