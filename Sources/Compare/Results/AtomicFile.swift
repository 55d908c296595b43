#if canImport(Glibc)
import Glibc
#endif

/// Writes whole files or nothing: the text goes to a temporary file beside the target, is flushed to disk, and
/// is renamed over the target, so a run that is killed at any moment leaves either the old file or the new one.
public enum AtomicFile {
    public struct WriteError: Error, CustomStringConvertible {
        public let description: String
    }

    public static func write(_ text: String, to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure("cannot create", temporary) }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes {
                Glibc.write(descriptor, $0.baseAddress! + written, $0.count - written)
            }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else {
                let error = failure("cannot write", temporary)
                close(descriptor)
                unlink(temporary)
                throw error
            }
            written += result
        }
        // fsync before rename: without it a crash can leave the new name pointing at an empty file.
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard synced, rename(temporary, path) == 0 else {
            let error = failure("cannot move into place", path)
            unlink(temporary)
            throw error
        }
    }

    /// Creates `path` and its parents, like `mkdir -p`.
    public static func makeDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component + "/"
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw failure("cannot create directory", prefix) }
        }
    }

    private static func failure(_ what: String, _ path: String) -> WriteError {
        WriteError(description: "\(what) \(path): \(String(cString: strerror(errno)))")
    }
}
