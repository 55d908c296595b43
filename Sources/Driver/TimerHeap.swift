/// Wake-ups a worker has promised itself (a paced start, the end of a think time, an open-loop send), in a
/// binary min-heap whose storage is reserved once: pushing within capacity never allocates.
///
/// Each entry carries the slot's epoch at the time it was pushed; a slot that has since closed its connection
/// has a new epoch, and its stale entries are skipped instead of searched for and removed.
struct TimerHeap {
    struct Entry {
        var dueNanos: UInt64
        var slot: Int32
        var epoch: UInt32
    }

    private var entries: [Entry] = []

    init(capacity: Int) {
        entries.reserveCapacity(capacity)
    }

    var nextDue: UInt64? { entries.first?.dueNanos }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].dueNanos < entries[parent].dueNanos else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func popDue(now: UInt64) -> Entry? {
        guard let first = entries.first, first.dueNanos <= now else { return nil }
        let last = entries.removeLast()
        guard !entries.isEmpty else { return first }
        entries[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < entries.count && entries[left].dueNanos < entries[smallest].dueNanos { smallest = left }
            if right < entries.count && entries[right].dueNanos < entries[smallest].dueNanos { smallest = right }
            guard smallest != parent else { break }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }
}
