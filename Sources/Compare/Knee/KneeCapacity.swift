/// The outcome of one model's search: the highest offered rate that passed, and the step that showed it.
public struct KneeCapacity: Sendable {
    public var model: String
    public var objective: LatencyObjective
    /// The step at the capacity; nil when no step passed.
    public var step: KneeStep?
    public var steps: Int
    /// Why the search stopped before its end (the server did not start or died); nil when it ran to its end.
    public var failure: String?

    public var capacityPerSecond: Double? { step?.offered }
}
