/// The sizes of the requests outstanding on a connection whose answers come in order (request, HTTP): a fixed ring
/// of the pipeline's depth, so that a new connection allocates nothing.
struct RequestRing {
    private var sizes: [UInt32]
    private(set) var head = 0
    private(set) var outstanding = 0

    init(depth: Int) {
        sizes = Array(repeating: 0, count: depth)
    }

    var depth: Int { sizes.count }
    var isFull: Bool { outstanding == sizes.count }
    /// The size the oldest outstanding request asked for.
    var oldest: UInt32 { sizes[head] }

    mutating func reset() {
        head = 0
        outstanding = 0
    }

    /// Counts a request for `size` as sent; returns its place.
    mutating func push(_ size: UInt32) -> Int {
        let place = (head + outstanding) % sizes.count
        sizes[place] = size
        outstanding += 1
        return place
    }

    /// The oldest request is answered; returns its place.
    mutating func pop() -> Int {
        let place = head
        head = (head + 1) % sizes.count
        outstanding -= 1
        return place
    }
}
