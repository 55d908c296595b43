/// An offered rate over the run as pieces, each linear in time: the schedule inverts it to place starts, and the
/// timeline integrates it to say what each second offered. Times are seconds from the opening of the measured window;
/// the warmup, before 0, runs at the first rate.
public struct RateCurve: Sendable {
    /// From `start` to the next piece's start (the last piece has no end): `rate` at `start`, changing by `slope` a
    /// second.
    struct Piece: Sendable {
        var start: Double
        var rate: Double
        var slope: Double
    }

    /// The first piece starts at -infinity, the last has no end: a Poisson draw may land past the window.
    let pieces: [Piece]

    public init(_ offered: OfferedRate, windowMicros: Int) {
        let window = Double(windowMicros) / 1e6
        let before = -Double.infinity
        switch offered {
        case .constant(let rate):
            pieces = [Piece(start: before, rate: rate, slope: 0)]
        case .ramp(let from, let to) where window > 0:
            pieces = [
                Piece(start: before, rate: from, slope: 0), Piece(start: 0, rate: from, slope: (to - from) / window),
                Piece(start: window, rate: to, slope: 0),
            ]
        case .ramp(let from, _):
            pieces = [Piece(start: before, rate: from, slope: 0)]
        case .steps(let rates, let step):
            pieces = rates.enumerated().map { index, rate in
                Piece(start: index == 0 ? before : Double(index * step) / 1e6, rate: rate, slope: 0)
            }
        }
    }

    /// The starts offered from `from` to `to` (seconds, `from` <= `to`).
    public func starts(from: Double, to: Double) -> Double {
        var total = 0.0
        for (index, piece) in pieces.enumerated() {
            let (low, high) = (max(from, piece.start), min(to, end(of: index)))
            // Linear within a piece: its mean rate over a span is the rate at the span's middle.
            if high > low { total += (high - low) * rate(piece, at: (low + high) / 2) }
        }
        return total
    }

    /// How long after `time` the curve has offered `count` more starts.
    func seconds(after time: Double, starts count: Double) -> Double {
        var index = pieces.lastIndex { $0.start <= time } ?? 0
        var (now, left, waited) = (time, count, 0.0)
        while true {
            let piece = pieces[index]
            let end = end(of: index)
            let offered = end == .infinity ? .infinity : (end - now) * (rate(piece, at: now) + rate(piece, at: end)) / 2
            if left <= offered { return waited + Self.seconds(offering: left, rate: rate(piece, at: now), slope: piece.slope) }
            (left, waited, now, index) = (left - offered, waited + end - now, end, index + 1)
        }
    }

    /// The time a piece at `rate`, changing by `slope` a second, takes to offer `count` starts: the root of
    /// rate * t + slope * t^2 / 2 = count, in the form that needs no care at a slope of 0 and loses nothing near it.
    private static func seconds(offering count: Double, rate: Double, slope: Double) -> Double {
        slope == 0 ? count / rate : 2 * count / (rate + (rate * rate + 2 * slope * count).squareRoot())
    }

    private func end(of index: Int) -> Double {
        index + 1 < pieces.count ? pieces[index + 1].start : .infinity
    }

    /// A flat piece's rate needs no distance from its start, which for the first piece is infinite.
    private func rate(_ piece: Piece, at time: Double) -> Double {
        piece.slope == 0 ? piece.rate : piece.rate + piece.slope * (time - piece.start)
    }
}
