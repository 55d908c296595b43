import Servers
import Testing
import Wire

/// Starts `model` on a free loopback port with `configure`'s settings, runs `body` with it and its port, and stops it
/// at the end whatever happens (as Hummingbird's TestUtils do).
func withRunningServer(
    _ model: ServerModel,
    protocol wireProtocol: WireProtocol = .request,
    configure: (inout ServerConfiguration) -> Void = { _ in },
    _ body: (any Server, Int) async throws -> Void
) async throws {
    if let reason = model.unavailable { try Test.cancel("\(model) is unavailable here: \(reason)") }
    var configuration = ServerConfiguration(protocol: wireProtocol, port: 0)
    configure(&configuration)
    let server = model.makeServer(configuration)
    let address = try await server.start()
    #expect(address.host == "127.0.0.1" && address.port != 0, "port 0 resolves to the port the kernel chose")
    do {
        try await body(server, address.port)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}

/// Polls `condition` every 10 ms until it holds or `seconds` have passed; says whether it held. Servers count a
/// response just after they send it, so a client that has read it may look a moment before the counter moves.
/// `every` sets how often it looks.
func eventually(
    within seconds: Int = 5, every interval: Duration = .milliseconds(10), _ condition: () -> Bool
) async -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while !condition() {
        guard ContinuousClock.now < deadline else { return false }
        try? await Task.sleep(for: interval)
    }
    return true
}
