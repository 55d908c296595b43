import ArgumentParser

@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Drive blocking, thread-pool and event-loop TCP servers with thousands of clients; record latency, "
            + "throughput and failures to CSV.",
        subcommands: [Serve.self, Drive.self, Compare.self, Check.self]
    )
}
