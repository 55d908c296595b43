/// The work a request asks for in its query, as Fortio's test server takes delays: `/bytes/16?cpu=50us&wait=2ms`
/// (`cpu`, `wait` and `block` as `--work` names them, each a number of `us`, `ms` or `s`). Read a byte at a time as
/// the target streams by, keeping no bytes; other parameters are ignored, and a known one with a value that is not a
/// duration (or one longer than ``WorkPlan/longestNanos``) makes the request malformed (400). Percent-encoded names
/// are not decoded: `%63pu` is another parameter.
struct HTTPQueryWork {

    private(set) var work = RequestWork.none
    private(set) var isMalformed = false
    /// The parameter's name, up to 8 bytes packed (longer names are none of ours), and whether its value is being read.
    private var name: UInt64 = 0
    private var nameLength = 0
    private var inValue = false
    private var number: UInt64 = 0
    private var digits = 0
    private var unit: UInt64 = 0
    private var unitLength = 0

    private static func packed(_ text: String) -> UInt64 {
        text.utf8.reduce(0) { $0 << 8 | UInt64($1) }
    }
    private static let cpu = packed("cpu"), wait = packed("wait"), block = packed("block")
    private static let units: [(UInt64, UInt64)] = [(packed("us"), 1_000), (packed("ms"), 1_000_000), (packed("s"), 1_000_000_000)]

    mutating func reset() {
        self = HTTPQueryWork()
    }

    /// A byte of the query, after the `?`.
    mutating func feed(_ byte: UInt8) {
        if byte == UInt8(ascii: "&") { return endParameter() }
        if !inValue {
            if byte == UInt8(ascii: "=") {
                inValue = true
            } else {
                nameLength += 1
                if nameLength <= 8 { name = name << 8 | UInt64(byte) }
            }
            return
        }
        if unitLength == 0, let digit = HTTPBytes.decimalDigit(byte) {
            number = min(number * 10 + UInt64(digit), WorkPlan.longestNanos + 1)
            digits += 1
        } else {
            unitLength += 1
            if unitLength <= 2 { unit = unit << 8 | UInt64(byte) }
        }
    }

    /// The target ended: its last parameter is whole.
    mutating func end() {
        endParameter()
    }

    private mutating func endParameter() {
        defer { (name, nameLength, inValue, number, digits, unit, unitLength) = (0, 0, false, 0, 0, 0, 0) }
        guard nameLength <= 8, [Self.cpu, Self.wait, Self.block].contains(name) else { return }
        // Compared before multiplying: 60 billion seconds in nanoseconds would overflow.
        guard inValue, digits > 0, unitLength <= 2, let scale = Self.units.first(where: { $0.0 == unit })?.1,
            number <= WorkPlan.longestNanos / scale
        else { return isMalformed = true }
        let nanos = number * scale
        if work.isNone { work = RequestWork() }
        switch name {
        case Self.cpu: work.cpuNanos = nanos
        case Self.wait: work.waitNanos = nanos
        default: work.blockNanos = nanos
        }
    }
}
