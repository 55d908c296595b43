import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `--start-at TIME`: when a run begins, so that drivers on several hosts open their measured windows together.
public enum StartAt {
    /// Reads UTC ISO-8601 (`2026-12-02T21:30:00Z`, with fractions of a second or not) or Unix seconds (`1796247000`,
    /// `1796247000.25`).
    public static func parse(_ text: String) throws(Units.ParseError) -> Date {
        // Finite: `1e999` reads as infinity, a start that never comes (found by Fuzz/Targets/options).
        if let seconds = Double(text), seconds > 0, seconds.isFinite { return Date(timeIntervalSince1970: seconds) }
        if let date = utc(text) { return date }
        throw Units.ParseError(
            description: "--start-at takes a UTC time such as 2026-12-02T21:30:00Z or Unix seconds such as 1796247000, "
                + "not '\(text)'")
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, every field in its range. Read here rather than by ISO8601DateFormatter:
    /// ICU under it divides by zero on a long fraction (Fuzz/corpus/options/start-at-long-fraction) and takes
    /// February 30th for March 2nd.
    static func utc(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z") else { return nil }
        func number(_ at: Int, _ digits: Int) -> Int? {
            var value = 0
            for byte in bytes[at..<at + digits] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        let separators: [(Int, Character)] = [(4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":")]
        guard separators.allSatisfy({ bytes[$0.0] == $0.1.asciiValue }),
            let year = number(0, 4), year >= 1970, let month = number(5, 2), let day = number(8, 2),
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
            (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
            hour < 24, minute < 60, second < 60
        else { return nil }
        // A fraction of 1 to 9 digits: nanoseconds, finer than any clock two hosts share.
        var fraction = 0.0
        let rest = bytes[19..<bytes.count - 1]
        if !rest.isEmpty {
            let digits = rest.count - 1
            guard rest.first == UInt8(ascii: "."), (1...9).contains(digits), let value = number(20, digits) else {
                return nil
            }
            fraction = Double(value) / pow(10, Double(digits))
        }
        let seconds = ((daysSinceEpoch(year: year, month: month, day: day) * 24 + hour) * 60 + minute) * 60 + second
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's days_from_civil): years
    /// counted from March, so that the leap day ends one.
    private static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let marchYear = month <= 2 ? year - 1 : year
        let era = marchYear / 400
        let yearOfEra = marchYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Waits until `date`, in steps of at most 100 ms so that Ctrl-C still stops the wait (``Interrupt``); returns how
    /// many seconds after `date` the wait ended (0 for a start on time).
    public static func wait(until date: Date) -> Double {
        while !Interrupt.requested {
            let left = date.timeIntervalSinceNow
            guard left > 0 else { break }
            usleep(UInt32(min(left, 0.1) * 1e6))
        }
        return max(0, -date.timeIntervalSinceNow)
    }
}
