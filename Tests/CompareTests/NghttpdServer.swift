import Foundation
import SystemCalls

#if canImport(Glibc)
import Glibc
#endif

/// nghttp2's own server, `nghttpd --no-tls` (h2c with prior knowledge), as a child of the test on a free loopback
/// port, serving a 16-byte file at `/bytes/16` from a temporary directory.
final class NghttpdServer {
    let port: Int
    private let directory: String
    private let child: ChildProcess

    init() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nghttpd-\(UUID().uuidString)").path
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory + "/www/bytes", withIntermediateDirectories: true)
        try String(repeating: "x", count: 16).write(toFile: directory + "/www/bytes/16", atomically: true, encoding: .utf8)
        guard let port = SocketAddress.freeLoopbackPort() else {
            throw NginxServer.StartError(description: "no free port")
        }
        self.port = port
        child = try ChildProcess(
            "nghttpd", ["--no-tls", "--address", "127.0.0.1", "-d", directory + "/www", String(port)],
            stderr: .file(directory + "/stderr"), searchPath: true)
        try NginxServer.awaitListening(port, child: child, stderr: directory + "/stderr")
    }

    func stop() {
        child.stop(timeoutSeconds: 5)
        try? FileManager.default.removeItem(atPath: directory)
    }
}
