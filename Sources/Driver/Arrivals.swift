/// How an open loop spaces its starts (`--arrivals`). Evenly spaced arrivals queue less than random ones at the same
/// load (by Kingman's approximation, about half the wait of Poisson arrivals), so a capacity measured with them is
/// optimistic for a server whose clients arrive independently of each other.
public enum Arrivals: String, Codable, Sendable, CaseIterable {
    /// Every gap the same, as wrk2 spaces its requests: the run is reproducible, and queueing is the server's alone.
    case uniform
    /// Gaps drawn from the exponential distribution, as mutilate draws them by default: the arrivals of many
    /// independent clients.
    case poisson
}
