extension Array where Element == Double {
    /// The middle value, or the mean of the two middle values of an even count; nil when empty. The one median of
    /// the comparison table and the regression check.
    var median: Double? {
        guard !isEmpty else { return nil }
        let sorted = sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
