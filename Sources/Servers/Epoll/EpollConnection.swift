/// One connection of an ``EpollLoop``: the shared state of ``LoopConnection`` and what epoll is told about it.
final class EpollConnection: LoopConnection {
    /// The events epoll watches the connection for now (0: not registered yet).
    var interest: UInt32 = 0
    /// A send found the socket's buffer full: nothing is written until it says it is writable.
    var blockedOnWrite = false

    override func start(now: UInt64, epoch: UInt32) {
        super.start(now: now, epoch: epoch)
        interest = 0
        blockedOnWrite = false
    }
}
