/// Where the next step of a capacity search goes: offered rates doubled from the start until a step fails, then
/// bisected between the highest rate that passed and the lowest that failed, until they are within `precision` of
/// each other or `maxBisections` steps have been spent. With no rate passed yet, the search gives up below `floor`: a
/// server that fails even there (a blocking one, when every client holds a connection) has no capacity to find. The
/// search knows rates and verdicts only; ``KneeRun`` runs the steps.
struct KneeSearch: Sendable {
    typealias Phase = KneePhase

    let precision: Double
    let maxBisections: Int
    /// The lowest rate worth a step; see ``floor(startRate:clients:windowMicros:)``.
    let floor: Double
    /// Doublings before the ramp gives up on finding a failing rate (2^30 times the start: no server gets there).
    static let maxDoublings = 30

    private(set) var phase = Phase.ramp
    /// The highest offered rate that passed: the capacity once the search is done.
    private(set) var highestPass: Double?
    private(set) var lowestFail: Double?
    /// The rate of the next step; nil once the search is done.
    private(set) var next: Double?
    private var doublings = 0
    private var bisections = 0

    init(startRate: Double, floor: Double? = nil, precision: Double = 0.02, maxBisections: Int = 15) {
        self.precision = precision
        self.maxBisections = maxBisections
        self.floor = floor ?? startRate / 100
        next = startRate
    }

    /// 1% of the start, or the rate at which each client makes one start a window, if higher: below it most clients
    /// make none in a window, and one that is stuck behind another is not seen at all.
    static func floor(startRate: Double, clients: Int, windowMicros: Int) -> Double {
        max(startRate / 100, Double(clients) / (Double(windowMicros) / 1e6))
    }

    /// Takes the verdict of the step at `rate` (the one ``next`` asked for) and decides the next.
    mutating func record(_ rate: Double, passed: Bool) {
        if passed { highestPass = max(highestPass ?? 0, rate) } else { lowestFail = min(lowestFail ?? .infinity, rate) }
        switch phase {
        case .ramp:
            doublings += 1
            if passed && doublings < Self.maxDoublings {
                next = rate * 2
                return
            }
            phase = .bisect
        case .bisect:
            bisections += 1
        }
        guard let fail = lowestFail, bisections < maxBisections else {
            next = nil
            return
        }
        let pass = highestPass ?? 0
        let middle = (pass + fail) / 2
        next = fail - pass <= precision * fail || (highestPass == nil && middle < floor) ? nil : middle
    }
}
