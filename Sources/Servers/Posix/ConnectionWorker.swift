#if canImport(Glibc)
import Glibc
#endif
import Wire

/// Serves connections over blocking sockets, one at a time, each from accept to close, with Wire doing the talking.
///
/// The blocking model's thread owns one, and so does each thread-pool worker; it belongs to that thread, so it is
/// not Sendable and its buffers and generator are used without any synchronisation.
final class ConnectionWorker {
    private let configuration: ServerConfiguration
    /// The random bytes responses are cut from; nil when the server speaks the greeting protocol.
    private let pool: RandomPool?
    private let counters: CounterCells
    private let slot: ConnectionSlot
    private var random = WyRand()
    /// 64 KiB, reused for every connection: up to 16,384 pipelined headers per read.
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    private let greeting = UnsafeMutableRawBufferPointer.allocate(byteCount: Greeting.frameLength, alignment: 16)

    init(configuration: ServerConfiguration, pool: RandomPool?, counters: CounterCells, slot: ConnectionSlot) {
        self.configuration = configuration
        self.pool = pool
        self.counters = counters
        self.slot = slot
    }

    deinit {
        readBuffer.deallocate()
        greeting.deallocate()
    }

    /// Serves the accepted connection `descriptor` to its end and closes it.
    func serve(_ descriptor: Int32) {
        let socket = ConnectedSocket(descriptor: descriptor)
        guard slot.occupy(descriptor) else {
            Glibc.close(descriptor)  // the stop was forced before this connection's turn came
            return
        }
        defer { slot.release() }
        if let pool {
            answerRequests(on: socket, from: pool)
        } else {
            sendGreeting(on: socket)
        }
    }

    // MARK: Protocols

    private func sendGreeting(on socket: ConnectedSocket) {
        // No timeouts or TCP_NODELAY here: 81 bytes always fit in an empty send buffer, so the write never blocks,
        // and the two setsockopt calls would be a third of this model's syscalls per connection.
        Greeting.write(into: greeting, using: &random)
        if let failure = socket.writeAll(UnsafeRawBufferPointer(greeting)) {
            count(failure, whileReading: false)
            return
        }
        counters.add(.requests)
        counters.add(.bytesSent, Greeting.frameLength)
    }

    private func answerRequests(on socket: ConnectedSocket, from pool: RandomPool) {
        socket.configureForRequests(timeout: configuration.readTimeout)
        var session = ServerSession(maxRequestBytes: configuration.maxRequestBytes)
        while true {
            switch socket.read(into: readBuffer) {
            case .received(let byteCount):
                let outcome = session.receive(UnsafeRawBufferPointer(rebasing: readBuffer[..<byteCount]))
                if outcome.violation != nil {
                    counters.add(.protocolErrors)
                    return
                }
                guard send(outcome.responseBytes, on: socket, from: pool) else { return }
                counters.add(.requests, outcome.requests)
            case .ended:
                // Everything owed has been sent already: each chunk is answered before the next read.
                if session.receiveEnd() != nil { counters.add(.protocolErrors) }
                return
            case .failed(let failure):
                count(failure, whileReading: true)
                return
            }
        }
    }

    /// Sends `byteCount` random bytes, slice by slice; false when the client is gone.
    private func send(_ byteCount: Int, on socket: ConnectedSocket, from pool: RandomPool) -> Bool {
        var left = byteCount
        while left > 0 {
            let slice = pool.slice(min(left, pool.maxSlice), using: &random)
            if let failure = socket.writeAll(slice) {
                count(failure, whileReading: false)
                return false
            }
            counters.add(.bytesSent, slice.count)
            left -= slice.count
        }
        return true
    }

    private func count(_ failure: ConnectedSocket.Failure, whileReading reading: Bool) {
        switch failure {
        case .timedOut: counters.add(reading ? .readTimeouts : .writeTimeouts)
        case .reset: if !slot.isForced { counters.add(.resets) }
        }
    }
}
