/// A request target read whole, as HTTP/2 carries it (`:path`), to what HTTP/1.1's parser reads from its request line
/// byte by byte: the route and the work its query asks for (``HTTPQueryWork``). Nil for a target HTTP/1.1 would
/// answer 400: a byte no target may hold, or a query whose work is malformed.
enum HTTPPath {
    private static let bytesPrefix = Array("/bytes/".utf8)

    static func read(_ path: UnsafeRawBufferPointer) -> (target: HTTPRequestHead.Target, work: RequestWork)? {
        guard path.allSatisfy(HTTPBytes.isTargetCharacter) else { return nil }
        let queryStart = path.firstIndex(of: UInt8(ascii: "?")) ?? path.count
        var work = HTTPQueryWork()
        if queryStart < path.count {
            for byte in path[(queryStart + 1)...] { work.feed(byte) }
            work.end()
            guard !work.isMalformed else { return nil }
        }
        return (target(UnsafeRawBufferPointer(rebasing: path[..<queryStart])), work.work)
    }

    /// `/` the greeting, `/bytes/N` N bytes (a count past UInt64 asks too much, as in HTTP/1.1), anything else none.
    private static func target(_ path: UnsafeRawBufferPointer) -> HTTPRequestHead.Target {
        if path.count == 1 && path[0] == UInt8(ascii: "/") { return .root }
        guard path.starts(with: bytesPrefix) else { return .other }
        let digits = path.dropFirst(bytesPrefix.count)
        guard !digits.isEmpty else { return .badCount }
        var count: UInt64? = 0
        for byte in digits {
            guard let digit = HTTPBytes.decimalDigit(byte).map(UInt64.init) else { return .badCount }
            count = count.flatMap { $0 <= (UInt64.max - digit) / 10 ? $0 * 10 + digit : nil }
        }
        return .bytes(count ?? .max)
    }
}
