import CNGHTTP2

/// The header fields of one HEADERS frame being submitted, as nghttp2 takes them (`nghttp2_nv`), laid in space a
/// session allocates once: nghttp2 copies names and values while it submits, so the space is reused for the next.
struct HTTP2Fields {
    static let byteCapacity = 4096
    static let fieldCapacity = 32

    private let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: byteCapacity, alignment: 8)
    private let fields = UnsafeMutablePointer<nghttp2_nv>.allocate(capacity: fieldCapacity)
    private var used = 0
    private(set) var count = 0

    /// Called by the owning session's deinit.
    func deallocate() {
        bytes.deallocate()
        fields.deallocate()
    }

    mutating func removeAll() {
        used = 0
        count = 0
    }

    /// The fields added so far, for `nghttp2_submit_request` or `nghttp2_submit_response`.
    var list: UnsafePointer<nghttp2_nv> { UnsafePointer(fields) }

    /// Adds `name` (lower case, as HTTP/2 requires) with `value`; false when the space is full.
    @discardableResult
    mutating func add(_ name: [UInt8], _ value: UnsafeRawBufferPointer) -> Bool {
        guard count < Self.fieldCapacity, used + name.count + value.count <= Self.byteCapacity else { return false }
        let nameStart = used
        used = HTTPBytes.put(name, into: bytes, at: used)
        let valueStart = used
        if value.count > 0 { (bytes.baseAddress! + used).copyMemory(from: value.baseAddress!, byteCount: value.count) }
        used += value.count
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        fields[count] = nghttp2_nv(
            name: base + nameStart, value: base + valueStart, namelen: name.count, valuelen: value.count,
            flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
        count += 1
        return true
    }

    @discardableResult
    mutating func add(_ name: [UInt8], _ value: [UInt8]) -> Bool {
        value.withUnsafeBytes { add(name, $0) }
    }

    /// Adds `name` with `value` in decimal digits.
    mutating func add(_ name: [UInt8], decimal value: Int) {
        withUnsafeTemporaryAllocation(byteCount: 20, alignment: 1) { digits in
            let end = HTTPResponseHead.writeDecimal(value, into: digits, at: 0)
            add(name, UnsafeRawBufferPointer(rebasing: digits[..<end]))
        }
    }
}
