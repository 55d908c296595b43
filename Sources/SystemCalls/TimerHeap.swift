/// Wake-ups an event loop has promised itself (the driver's paced starts, think times and open-loop sends; the
/// epoll server's waits on a simulated backend), in a binary min-heap whose storage is reserved once: pushing within
/// capacity never allocates.
///
/// Each entry carries the slot's epoch at the time it was pushed; a slot that has since closed its connection
/// has a new epoch, and its stale entries are skipped instead of searched for and removed.
public struct TimerHeap {
    public struct Entry {
        public var dueNanos: UInt64
        public var slot: Int32
        public var epoch: UInt32

        public init(dueNanos: UInt64, slot: Int32, epoch: UInt32) {
            (self.dueNanos, self.slot, self.epoch) = (dueNanos, slot, epoch)
        }
    }

    private var entries: [Entry] = []

    public init(capacity: Int) {
        entries.reserveCapacity(capacity)
    }

    public var nextDue: UInt64? { entries.first?.dueNanos }

    public mutating func push(_ entry: Entry) {
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
    public mutating func popDue(now: UInt64) -> Entry? {
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
