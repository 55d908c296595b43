import Foundation
import SystemCalls
import TLS

#if canImport(Glibc)
import Glibc
#endif

/// nginx as a child of the test, on a free loopback port, serving a 16-byte file at `/bytes/16` from a temporary
/// directory that holds its configuration, logs and temporary files too: nothing of the machine's nginx is used.
/// `tls`: it listens with `ssl` instead, with a certificate made for the test (ECDSA P-256, as `bench serve --tls`);
/// `http2`: it speaks h2c with prior knowledge (`listen PORT http2`, nginx 1.22) instead of HTTP/1.1, and ends each
/// connection with GOAWAY after 100 requests (`keepalive_requests`, 1,000 by default), so a short run meets it.
final class NginxServer {
    let port: Int
    private let directory: String
    private let child: ChildProcess

    struct StartError: Error, CustomStringConvertible {
        let description: String
    }

    init(tls: Bool = false, http2: Bool = false) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nginx-\(UUID().uuidString)").path
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory + "/www/bytes", withIntermediateDirectories: true)
        try String(repeating: "x", count: 16).write(toFile: directory + "/www/bytes/16", atomically: true, encoding: .utf8)
        guard let port = SocketAddress.freeLoopbackPort() else { throw StartError(description: "no free port") }
        self.port = port
        let temporary = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
            .map { "    \($0)_temp_path \(directory)/\($0);" }.joined(separator: "\n")
        var listen = "listen 127.0.0.1:\(port)\(http2 ? " http2" : "");"
        if tls {
            let certificate = try SelfSignedCertificate()
            try certificate.certificatePEM.write(toFile: directory + "/cert.pem", atomically: true, encoding: .utf8)
            try certificate.keyPEM.write(toFile: directory + "/key.pem", atomically: true, encoding: .utf8)
            listen = "listen 127.0.0.1:\(port) ssl; ssl_certificate \(directory)/cert.pem; "
                + "ssl_certificate_key \(directory)/key.pem;"
        }
        let configuration = """
            daemon off;
            worker_processes 1;
            user root;
            pid \(directory)/nginx.pid;
            error_log \(directory)/error.log;
            events { worker_connections 1024; }
            http {
                access_log off;
            \(temporary)
                server {
                    \(listen)
                    root \(directory)/www;\(http2 ? "\n            keepalive_requests 100;" : "")
                }
            }
            """
        try configuration.write(toFile: directory + "/nginx.conf", atomically: true, encoding: .utf8)
        child = try ChildProcess(
            "nginx", ["-p", directory, "-c", directory + "/nginx.conf"], stderr: .file(directory + "/stderr"),
            searchPath: true)
        try Self.awaitListening(port, child: child, stderr: directory + "/stderr")
    }

    /// Returns once `child` accepts a connection on `port`; a bounded wait, then what it said.
    static func awaitListening(_ port: Int, child: ChildProcess, stderr: String) throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !accepts(port) {
            guard ContinuousClock.now < deadline, !child.hasExited else {
                child.stop(timeoutSeconds: 2)
                let said = (try? String(contentsOfFile: stderr, encoding: .utf8)) ?? ""
                throw StartError(description: "the server did not start: \(said)")
            }
            usleep(10_000)
        }
    }

    /// Stops nginx (SIGQUIT: finish the requests in progress, then exit) and removes its directory.
    func stop() {
        child.stop(signal: SIGQUIT, timeoutSeconds: 5)
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func accepts(_ port: Int) -> Bool {
        let address = SocketAddress(numericHost: "127.0.0.1", port: port)!
        let descriptor = address.makeSocket()
        defer { close(descriptor) }
        return address.withSockaddr { connect(descriptor, $0, $1) } == 0
    }
}
