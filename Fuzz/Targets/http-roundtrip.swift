import FuzzSupport

@testable import Driver
@testable import Wire

extension HTTPRequestParser: StreamingParser {}

/// The driver's requests against the servers' parser: a URL target (the first line) and `--header` fields (the lines
/// after it) that `bench drive` accepts must make requests the harness's own server reads as one GET of that path,
/// whole, keeping the connection but on the last request.
fuzz { input in
    let lines = text(input).split(separator: "\n").map(String.init)
    // A query asks for work (`?cpu=50us`), refused when malformed: the http-request target reads queries.
    guard let first = lines.first, let url = try? TargetURL(first), !url.path.contains("?") else { return }
    var settings = LoadSettings()
    settings.wireProtocol = .http
    settings.path = url.path
    settings.authority = url.authority
    // Fields that frame the body or end the connection are the user's to send, and change what the server does.
    let framing = ["content-length:", "transfer-encoding:", "connection:"]
    settings.fields = lines.dropFirst().filter { field in !framing.contains { field.lowercased().hasPrefix($0) } }
    guard settings.problem() == nil else { return }
    let template = settings.httpTemplate
    let (requestSize, last) = (UInt32(truncatingIfNeeded: input.count &* 7919), input.count % 2 == 1)
    var request = [UInt8](repeating: 0, count: template.capacity)
    let length = request.withUnsafeMutableBytes { template.write(size: requestSize, last: last, into: $0) }
    guard length <= HTTPRequestParser.lineLimit else { return }  // a path past 8 KiB is answered 414, rightly
    let found = request[..<length].withUnsafeBytes { eventsInAnySplit(of: $0, HTTPRequestParser.self) }
    guard found.count == 1, case .head(let head) = found[0] else {
        preconditionFailure("the server reads \(found) from \(String(decoding: request[..<length], as: UTF8.self))")
    }
    precondition(head.method == .get && !head.isHTTP10 && head.keepAlive == !last && head.bodyLength == 0)
    if url.path == "/bytes/{size}" {
        precondition(head.target == .bytes(UInt64(requestSize)), "/bytes/{size} read as \(head.target)")
    }
}
