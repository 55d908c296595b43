/// The requests outstanding on a connection whose answers come in any order (multiplex, h2): each takes a free place
/// (0 ..< depth), where its size and the bytes come for it so far are kept until it is retired; the driver keeps its
/// timings at the same places. Fixed arrays of the depth, so that a new connection allocates nothing.
struct RequestPlaces {
    private var asked: [UInt32]
    /// Bytes received for each place; -1 where the place is free.
    private var got: [Int]
    private var free: [Int]
    private(set) var outstanding = 0

    init(depth: Int) {
        asked = Array(repeating: 0, count: depth)
        got = Array(repeating: -1, count: depth)
        free = Array((0..<depth).reversed())
    }

    var depth: Int { got.count }
    var isFull: Bool { outstanding == got.count }

    mutating func reset() {
        outstanding = 0
        free.removeAll(keepingCapacity: true)
        for place in (0..<got.count).reversed() {
            got[place] = -1
            free.append(place)
        }
    }

    /// Counts a request for `size` as sent; returns its place.
    mutating func take(_ size: UInt32) -> Int {
        let place = free.removeLast()
        asked[place] = size
        got[place] = 0
        outstanding += 1
        return place
    }

    /// Whether `place` is one of the places (a number read from the wire may be anything) and holds a request.
    func isOutstanding(_ place: Int) -> Bool { got.indices.contains(place) && got[place] >= 0 }

    func asked(_ place: Int) -> Int { Int(asked[place]) }
    func received(_ place: Int) -> Int { got[place] }

    mutating func receive(_ count: Int, at place: Int) {
        got[place] += count
    }

    /// The request at `place` is answered (or will never be): its place is free again.
    mutating func retire(_ place: Int) {
        got[place] = -1
        free.append(place)
        outstanding -= 1
    }
}
