import FuzzSupport

@testable import Driver

/// The option parsers on any text a person or a script may type: the first byte picks the parser, the rest (its
/// lines, for the two that take two options) is the text. Each result must be in the range the parser promises, and
/// where `bench drive` writes an option back (``LoadSettings/driveArguments``: a check's other build re-reads it), the
/// text it writes must read back as the same value.
fuzz { input in
    guard let parser = input.first else { return }
    let option = text(UnsafeRawBufferPointer(rebasing: input[1...]))
    let lines = option.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let maximum: UInt32 = 1 << 20
    switch parser % 13 {
    case 0:
        guard let micros = try? Units.durationMicros(option, option: "-d") else { break }
        precondition(micros >= 0, "a negative duration")
    case 1:
        guard let count = try? Units.count(option, option: "-c") else { break }
        precondition(count.isFinite && count >= 0, "a count of \(count)")
    case 2:
        guard let count = try? Units.wholeCount(option, option: "-c", minimum: 2) else { break }
        precondition(count >= 2 && count <= Int(Int32.max), "a whole count of \(count)")
    case 3:
        guard let count = try? Units.requests(option, option: "--requests") else { break }
        precondition(try! Units.requests(Units.requestsText(count), option: "--requests") == count)
    case 4:
        guard let tolerance = try? Units.tolerance(option, option: "--tolerance") else { break }
        precondition(tolerance > 0 && tolerance < 1, "a tolerance of \(tolerance)")
    case 5:
        guard let range = try? Units.sizeRange(option, option: "--size", maximum: maximum) else { break }
        precondition(range.lowerBound >= 1 && range.upperBound <= maximum, "sizes \(range)")
    case 6:
        guard let mix = try? Units.sizeMix(option, option: "--size", maximum: maximum), !mix.isEmpty else { break }
        precondition((try? Units.sizeMix(SizeShare.text(mix), option: "--size", maximum: maximum)) == mix)
    case 7:
        guard let backoff = try? Units.backoff(option, option: "--reconnect") else { break }
        precondition(backoff.lowerBound >= 0, "a backoff of \(backoff)")
    case 8:
        guard let share = try? Units.hostShare(option) else { break }
        precondition((0..<share.count).contains(share.index), "share \(share)")
    case 9:
        _ = try? Units.work(option)
    case 10:
        let defaults = ClientProfile(name: "", percent: 100, requestsPerConnection: 10, thinkMicros: 0, jitterMicros: 0)
        guard let mix = try? ClientProfile.parse(option, defaults: defaults) else { break }
        var settings = LoadSettings()
        settings.mix = mix
        let arguments = settings.driveArguments
        let written = arguments[arguments.firstIndex(of: "--mix")! + 1]
        precondition((try? ClientProfile.parse(written, defaults: defaults)) == mix, "--mix \(written)")
    case 11:
        guard let rate = try? OfferedRate.parse(rate: lines[0], step: lines.count > 1 ? lines[1] : nil) else { break }
        precondition(rate.rates.allSatisfy { $0.isFinite && $0 >= 0 }, "rates \(rate.rates)")
        let arguments = rate.arguments
        let again = try? OfferedRate.parse(rate: arguments[1], step: arguments.count > 3 ? arguments[3] : nil)
        precondition(again == rate, "--rate \(arguments) reads back as \(String(describing: again))")
    default:
        guard let date = try? StartAt.parse(option) else { break }
        precondition(date.timeIntervalSince1970.isFinite, "a start at \(date.timeIntervalSince1970)")
    }
}
