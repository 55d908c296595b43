#if canImport(Glibc)
import Glibc
#endif

/// Writes whole files or nothing: the text goes to a temporary file beside the target, is flushed to disk, and
/// is renamed over the target, so a run that is killed at any moment, or whose disk fills up, leaves either the old
/// file or the new one.
public enum AtomicFile {
    public struct WriteError: Error, CustomStringConvertible {
        public let description: String
    }

    public static func write(_ text: String, to path: String) throws {
        try write([(path, text)])
    }

    /// Writes several files as one: each to its temporary file first, and only once all of them are on disk is
    /// any renamed into place. A results directory rewritten after every cell thus never holds one file of the new
    /// cell beside another of the old, even when the disk fills up between them.
    /// - Throws: ``WriteError`` naming the target that could not be written and why (the disk full: what to do),
    ///   with every temporary file removed.
    public static func write(_ files: [(path: String, text: String)]) throws {
        var staged: [String] = []
        do {
            for file in files {
                let temporary = file.path + ".tmp-\(getpid())"
                staged.append(temporary)
                try stage(file.text, at: temporary, for: file.path)
            }
        } catch {
            for temporary in staged { unlink(temporary) }
            throw error
        }
        for (file, temporary) in zip(files, staged) {
            guard rename(temporary, file.path) == 0 else {
                let error = failure("cannot move into place", file.path)
                for temporary in staged { unlink(temporary) }
                throw error
            }
        }
    }

    /// Writes `text` to `temporary` and flushes it; errors name `target`, the file the user knows.
    private static func stage(_ text: String, at temporary: String, for target: String) throws {
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
                let error = failure("cannot write", target)
                close(descriptor)
                throw error
            }
            written += result
        }
        // fsync before rename: without it a crash can leave the new name pointing at an empty file. A disk that
        // fills up may say so only here (delayed allocation, a network file system), or at the close.
        guard fsync(descriptor) == 0 else {
            let error = failure("cannot write", target)
            close(descriptor)
            throw error
        }
        guard close(descriptor) == 0 else { throw failure("cannot write", target) }
    }

    /// Creates `path` and its parents, like `mkdir -p`.
    public static func makeDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component + "/"
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw failure("cannot create directory", prefix) }
        }
    }

    /// `what path: reason`, from errno; a full disk (or quota) says what is left and what to do.
    private static func failure(_ what: String, _ path: String) -> WriteError {
        let code = errno
        var description = "\(what) \(path): \(String(cString: strerror(code)))"
        if code == ENOSPC || code == EDQUOT {
            description += "; the files already there are whole and hold what was written before it. Free some "
                + "space on that disk, or write elsewhere (--out), and run again"
        }
        return WriteError(description: description)
    }
}
