import Metrics
import Wire

/// The session's verdicts in the driver's words: which failure kind each bad event or ending counts as.
extension ClientEvent {
    /// The failure a bad event is; nil for the events of a conversation going well.
    var failure: FailureKind? {
        switch self {
        case .bad: .badResponse
        case .mismatch: .echoMismatch
        case .firstByte, .response: nil
        }
    }
}

extension ConnectionEnding {
    /// The failure an ending is; nil for a whole one.
    var failure: FailureKind? {
        switch self {
        case .complete: nil
        case .closedEarly: .closedEarly
        case .badResponse: .badResponse
        case .mismatch: .echoMismatch
        case .goaway: .goaway
        }
    }
}

extension ResponseOutcome {
    /// The failure a whole response is; nil for a valid one.
    var failure: FailureKind? {
        switch self {
        case .valid: nil
        case .clientError: .httpClientError
        case .serverError: .httpServerError
        // REFUSED_STREAM (RFC 9113 §8.7): the server did no work for it.
        case .reset(let code): code == 7 ? .streamRefused : .streamReset
        }
    }
}
