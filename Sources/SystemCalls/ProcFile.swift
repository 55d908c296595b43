#if canImport(Glibc)
import Glibc
#endif

/// Small files of /proc and /sys, read whole in one go: process and machine facts, and CPU counters.
public enum ProcFile {
    /// This process's executable, the target of /proc/self/exe (the path it was started by may be a symbolic link
    /// or relative), or nil.
    public static var ownExecutable: String? {
        var path = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &path, path.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: path[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The first line of a small file (up to 4 KiB, as /proc/PID/stat and /proc/stat's first line are), without its
    /// newline, or nil.
    public static func firstLine(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 4096)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        var line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if line.last == "\n" { line.removeLast() }
        return line
    }

    /// Every line of a text file up to `limit` bytes (/proc/cpuinfo), or nil.
    public static func lines(_ path: String, limit: Int = 1 << 20) -> [Substring]? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < limit {
            let count = fread(&chunk, 1, chunk.count, file)
            guard count > 0 else { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n")
    }

    /// The names in a directory (/proc, /proc/PID/task, /proc/PID/fd) but "." and "..", or nil when it cannot be
    /// opened.
    public static func entries(_ directory: String) -> [String]? {
        guard let listing = opendir(directory) else { return nil }
        defer { closedir(listing) }
        var names: [String] = []
        while let entry = readdir(listing) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// One value of /proc/sys with its tabs and spaces folded to single spaces ("32768 60999"), or "unknown".
    public static func value(_ path: String) -> String {
        guard let text = firstLine(path) else { return "unknown" }
        return text.split(whereSeparator: { $0 == "\t" || $0 == " " }).joined(separator: " ")
    }
}
