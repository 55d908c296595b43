import Driver

/// Merges the results of the hosts of one `--share`d load exactly: counts summed, histograms added (percentiles are
/// recomputed from the merged histograms, never averaged), the window the longest. The inputs must be the N shares of
/// one load: the same settings but for the share, each share once.
public enum DriveMerge {
    public static func merge(
        _ inputs: [(directory: String, file: DriveResultFile)]
    ) throws(MergeError) -> DriveResult {
        guard var merged = inputs.first?.file.result else {
            throw MergeError("bench merge needs at least one directory")
        }
        let first = inputs[0]
        let shares = merged.settings.hostShares
        for input in inputs.dropFirst() {
            if let field = differingSetting(first.file.result.settings, input.file.result.settings) {
                throw MergeError(
                    "\(input.directory) and \(first.directory) differ in \(field): they are not shares of one load")
            }
        }
        let seen = inputs.map { $0.file.result.settings.hostShare }
        if let twice = seen.first(where: { share in seen.filter { $0 == share }.count > 1 }) {
            throw MergeError("share \(twice + 1)/\(shares) is given twice")
        }
        for share in 0..<shares where !seen.contains(share) {
            throw MergeError("share \(share + 1)/\(shares) is missing: give the directories of all \(shares) hosts")
        }
        for input in inputs.dropFirst() { merged.merge(input.file.result) }
        merged.settings.hostShare = 0
        merged.settings.hostShares = 1
        return merged
    }

    /// The first setting (its property name) in which two hosts' runs differ, their share apart; nil when none does.
    static func differingSetting(_ one: LoadSettings, _ other: LoadSettings) -> String? {
        var mine = one
        mine.hostShare = other.hostShare
        guard mine != other else { return nil }
        let theirs = Mirror(reflecting: other).children
        for (field, value) in zip(Mirror(reflecting: mine).children, theirs)
        where String(describing: field.value) != String(describing: value.value) {
            return field.label ?? "a setting"
        }
        return "a setting"
    }
}
