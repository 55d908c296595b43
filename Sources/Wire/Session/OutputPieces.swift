/// The output a server session has gathered and the socket has not yet taken: pieces in order, each with the number
/// of responses that are whole once it is sent. Every session keeps one; it allocates once, at the session's start.
struct OutputPieces {
    let capacity: Int
    private let pieces: UnsafeMutablePointer<UnsafeRawBufferPointer>
    private let ends: UnsafeMutablePointer<Int>
    /// The unsent pieces are `pieces[first..<count]`.
    private var first = 0
    private var count = 0

    init(capacity: Int = ServerSessionLimits.pieces) {
        self.capacity = capacity
        pieces = .allocate(capacity: capacity)
        ends = .allocate(capacity: capacity)
    }

    /// Called by the owning session's deinit.
    func deallocate() {
        pieces.deallocate()
        ends.deallocate()
    }

    mutating func reset() {
        first = 0
        count = 0
    }

    var isEmpty: Bool { first == count }
    /// Pieces that can still be appended.
    var room: Int { capacity - count }
    var unsent: UnsafeBufferPointer<UnsafeRawBufferPointer> { UnsafeBufferPointer(start: pieces + first, count: count - first) }

    /// Bytes gathered and not yet sent.
    var unsentBytes: Int {
        var total = 0
        for index in first..<count { total += pieces[index].count }
        return total
    }

    mutating func append(_ piece: UnsafeRawBufferPointer, completing responses: Int) {
        pieces[count] = piece
        ends[count] = responses
        count += 1
    }

    /// Appends `bytes`, joining them to the last piece when that one ends where they begin (a head written right after
    /// the previous response's head and body goes out in the same piece); the joined piece completes both.
    mutating func appendJoining(_ bytes: UnsafeRawBufferPointer, completing responses: Int) {
        if count > first, let base = pieces[count - 1].baseAddress, base + pieces[count - 1].count == bytes.baseAddress {
            pieces[count - 1] = UnsafeRawBufferPointer(start: base, count: pieces[count - 1].count + bytes.count)
            ends[count - 1] += responses
            return
        }
        append(bytes, completing: responses)
    }

    /// One more response is whole once the last unsent piece is out (an echo whose end came after its last byte was
    /// gathered).
    mutating func completeWithLast() {
        ends[count - 1] += 1
    }

    /// Moves the unsent pieces to the front when fewer than `pieces` more would fit behind them.
    mutating func makeRoom(for pieces: Int) {
        guard first > 0 && count + pieces > capacity else { return }
        let unsent = count - first
        for index in 0..<unsent {
            self.pieces[index] = self.pieces[first + index]
            ends[index] = ends[first + index]
        }
        first = 0
        count = unsent
    }

    /// `byteCount` bytes were sent: returns the responses thereby whole; `drained` when nothing is left unsent, so
    /// the session may reuse its scratch space.
    mutating func advance(_ byteCount: Int) -> (completed: Int, drained: Bool) {
        var left = byteCount
        var completed = 0
        while left > 0 && first < count {
            let piece = pieces[first]
            if left < piece.count {
                pieces[first] = UnsafeRawBufferPointer(rebasing: piece[left...])
                break
            }
            left -= piece.count
            completed += ends[first]
            first += 1
        }
        guard first == count else { return (completed, false) }
        first = 0
        count = 0
        return (completed, true)
    }
}
