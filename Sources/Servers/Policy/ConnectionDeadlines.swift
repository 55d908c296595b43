import SystemCalls
import Wire

/// The deadlines of one connection, all the server's read timeout, written once for every model so that a comparison
/// of models is not a comparison of timeout rules:
/// - a request must be whole within it of its first byte, else the client is a slowloris (`header_timeouts`);
/// - a client owed nothing that sends nothing for that long is idle (`read_timeouts`);
/// - owed output that makes no progress for that long means a client that does not read (`write_timeouts`).
///
/// Waiting starts anew whenever output is sent, and when input is taken while nothing was owed, so that a client that
/// reads a long answer slowly is not idle while it reads, and an answer owed after a long silence is not already
/// stalled. Input taken while output waits does not count: h2 and multiplex read on meanwhile, and a client that sends
/// (frames that ask for nothing, a PING's ACK, a WINDOW_UPDATE) and never reads would otherwise keep its connection
/// for ever. A model keeps one per connection and tells it what happened; an event loop asks it whether a deadline
/// passed (at its sweep, or at a timer armed for ``next``), a blocking thread how long its next read may wait.
struct ConnectionDeadlines {
    let timeoutNanos: UInt64
    /// When the request being received began, and which one it is (``ServerSession/requestsBegun``).
    private(set) var requestStarted: UInt64?
    private var timedRequest = 0
    /// When output was last sent, or input last taken while nothing was owed.
    private(set) var lastMovement: UInt64 = 0

    init(timeout: Duration) {
        timeoutNanos = MonotonicClock.nanos(timeout)
    }

    /// A new connection.
    mutating func start(now: UInt64) {
        requestStarted = nil
        timedRequest = 0
        lastMovement = now
    }

    /// Input or output moved.
    mutating func moved(now: UInt64) {
        lastMovement = now
    }

    /// After input was given to `session`, which owed output before it when `owedBefore`: a request that has begun is
    /// timed from its first byte.
    mutating func track(_ session: any ServerSession, owedBefore: Bool, now: UInt64) {
        if !owedBefore { lastMovement = now }
        if !session.isMidRequest {
            requestStarted = nil
        } else if session.requestsBegun != timedRequest || requestStarted == nil {
            timedRequest = session.requestsBegun
            requestStarted = now
        }
    }

    /// The deadline that has passed at `now`, as the counter of the close it calls for; nil while none has.
    func expired(now: UInt64, owesNothing: Bool) -> Counter? {
        if let started = requestStarted, now >= started + timeoutNanos { return .headerTimeouts }
        guard now >= lastMovement + timeoutNanos else { return nil }
        // Mid-request with nothing owed, the request's own deadline decides (it began no later than the silence).
        guard owesNothing else { return .writeTimeouts }
        return requestStarted == nil ? .readTimeouts : nil
    }

    /// The earliest moment a deadline can pass.
    var next: UInt64 { min(requestStarted ?? .max, lastMovement) + timeoutNanos }
}
