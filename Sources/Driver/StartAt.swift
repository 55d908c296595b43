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
        let formatter = ISO8601DateFormatter()
        let forms: [ISO8601DateFormatter.Options] = [
            [.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime],
        ]
        for options in forms {
            formatter.formatOptions = options
            if text.hasSuffix("Z"), let date = formatter.date(from: text) { return date }
        }
        throw Units.ParseError(
            description: "--start-at takes a UTC time such as 2026-12-02T21:30:00Z or Unix seconds such as 1796247000, "
                + "not '\(text)'")
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
