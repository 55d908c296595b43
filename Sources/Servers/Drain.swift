/// How a stopping server waits for its connections or threads to end: with a deadline, always.
enum Drain {
    /// Checks `isDone` every 5 ms until it holds or `timeout` has passed, and says whether it held.
    ///
    /// Polling, not a wake-up: a stop happens once and takes milliseconds, while a wake-up would cost every
    /// connection's hot path a check for a waiting stopper.
    static func wait(upTo timeout: Duration, until isDone: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !isDone() {
            guard ContinuousClock.now < deadline else { return false }
            do {
                try await Task.sleep(for: .milliseconds(5))
            } catch {
                return isDone()  // cancelled: stop at once, closing what is left
            }
        }
        return true
    }
}
