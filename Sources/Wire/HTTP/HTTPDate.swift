#if canImport(Glibc)
import Glibc
#endif

/// The Date field an origin server sends (RFC 9110 §6.6.1), in IMF-fixdate form: `Tue, 01 Dec 2026 20:00:00 GMT`.
///
/// Rendered at most once a second per owner: each response costs a clock read (vDSO) and a compare, not a
/// formatting.
struct HTTPDate {
    static let length = 29
    private var second = -1
    private var text = [UInt8](repeating: 0, count: length)

    private static let days = Array("SunMonTueWedThuFriSat".utf8)
    private static let months = Array("JanFebMarAprMayJunJulAugSepOctNovDec".utf8)

    /// The date of now, as the 29 bytes of the field value.
    mutating func current() -> [UInt8] {
        let now = time(nil)
        if now != second {
            second = now
            render(now)
        }
        return text
    }

    /// `seconds` since 1970 in IMF-fixdate; the civil date by Howard Hinnant's days-from-civil inverse.
    private mutating func render(_ seconds: Int) {
        let days = seconds / 86_400
        let inDay = seconds % 86_400
        let weekday = (days + 4) % 7  // 1970-01-01 was a Thursday
        let shifted = days + 719_468
        let era = shifted / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        var bytes: [UInt8] = []
        bytes += Self.days[(weekday * 3)..<(weekday * 3 + 3)]
        bytes += Array(", ".utf8)
        bytes += Self.twoDigits(day) + [UInt8(ascii: " ")]
        bytes += Self.months[((month - 1) * 3)..<((month - 1) * 3 + 3)]
        bytes += [UInt8(ascii: " ")] + Self.twoDigits(year / 100) + Self.twoDigits(year % 100) + [UInt8(ascii: " ")]
        bytes += Self.twoDigits(inDay / 3600) + [UInt8(ascii: ":")] + Self.twoDigits(inDay / 60 % 60)
        bytes += [UInt8(ascii: ":")] + Self.twoDigits(inDay % 60) + Array(" GMT".utf8)
        text = bytes
    }

    private static func twoDigits(_ value: Int) -> [UInt8] {
        [UInt8(ascii: "0") + UInt8(value / 10), UInt8(ascii: "0") + UInt8(value % 10)]
    }
}
