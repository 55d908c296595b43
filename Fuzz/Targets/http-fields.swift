import FuzzSupport

@testable import Wire

/// HTTPFieldScanner on any field section, against a reference that keeps the section and reads it line by line: for a
/// section the scanner takes whole, both must agree on every field the harness acts on.
struct Reference {
    var contentLength: UInt64?
    var hasHost = false
    var hasTransferEncoding = false
    var isChunked = false
    var wantsClose = false
    var wantsKeepAlive = false

    init(_ section: ArraySlice<UInt8>) {
        func trimmed(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
            Array(bytes.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed())
        }
        for line in section.split(separator: UInt8(ascii: "\n")) {
            let line = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = String(decoding: line[..<colon].map(HTTPBytes.lowercased), as: UTF8.self)
            let value = line[(colon + 1)...]
            let tokens = value.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false).map {
                String(decoding: trimmed($0).map(HTTPBytes.lowercased), as: UTF8.self)
            }
            switch name {
            case "content-length": contentLength = UInt64(String(decoding: trimmed(value), as: UTF8.self))
            case "host": hasHost = true
            case "transfer-encoding":
                hasTransferEncoding = true
                isChunked = tokens.last { !$0.isEmpty } == "chunked"
            case "connection":
                wantsClose = wantsClose || tokens.contains("close")
                wantsKeepAlive = wantsKeepAlive || tokens.contains("keep-alive")
            default: break
            }
        }
    }
}

fuzz { input in
    let input = Array(input)
    var scanner = HTTPFieldScanner()
    for (index, byte) in input.enumerated() {
        switch scanner.feed(byte) {
        case .more: continue
        case .malformed: return
        case .end:
            precondition(scanner.count == index + 1, "the section's length is not the bytes fed")
            let reference = Reference(input[...index])
            precondition(scanner.contentLength == reference.contentLength, "Content-Length")
            precondition(scanner.hasHost == reference.hasHost, "Host")
            precondition(scanner.hasTransferEncoding == reference.hasTransferEncoding, "Transfer-Encoding")
            precondition(!scanner.hasTransferEncoding || scanner.isChunked == reference.isChunked, "chunked")
            precondition(scanner.wantsClose == reference.wantsClose, "Connection: close")
            precondition(scanner.wantsKeepAlive == reference.wantsKeepAlive, "Connection: keep-alive")
            return
        }
    }
}
