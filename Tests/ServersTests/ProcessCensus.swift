#if canImport(Glibc)
import Glibc
#endif

/// The threads and sockets of this test process that belong to servers, read from /proc.
///
/// Raw counts of /proc/self/task and /proc/self/fd would be simpler, but other test targets run in the same process
/// at the same time and open their own threads and descriptors, servers among them; so threads are recognised by the
/// name every model gives them ("srv-ROLE-PORT") and sockets by their local port.
struct ProcessCensus: Equatable, CustomStringConvertible {
    /// Threads named like a server's.
    var serverThreads: Int
    /// This process's descriptors for sockets whose local port is the server's (the listener and accepted ones).
    var serverSockets: Int

    init(port: Int) {
        serverThreads = Self.entries(of: "/proc/self/task").count { task in
            let name = Self.contents(of: "/proc/self/task/\(task)/comm").split(separator: "\n").first ?? ""
            return name.hasPrefix("srv-") && name.hasSuffix("-\(port)")
        }
        serverSockets = Self.entries(of: "/proc/self/fd").count { entry in
            guard let descriptor = Int32(entry) else { return false }
            return Self.localPort(of: descriptor) == port
        }
    }

    var description: String { "threads=\(serverThreads) sockets=\(serverSockets)" }

    /// The local port of `descriptor` if it is an IPv4 socket (asked of the socket itself, which is far quicker than
    /// reading /proc/net/tcp on a machine with tens of thousands of connections in TIME_WAIT).
    private static func localPort(of descriptor: Int32) -> Int? {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0, address.sin_family == sa_family_t(AF_INET) else { return nil }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func entries(of directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if !name.hasPrefix(".") { names.append(name) }
        }
        return names
    }

    private static func contents(of path: String) -> String {
        guard let file = fopen(path, "r") else { return "" }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            guard count > 0 else { return String(decoding: bytes, as: UTF8.self) }
            bytes += chunk[..<count]
        }
    }
}
