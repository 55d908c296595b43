#if canImport(Glibc)
import Glibc
#endif
import Dispatch

/// A Dispatch signal source that is watching when it is returned.
///
/// `DispatchSource.makeSignalSource` and `resume()` return before the source is registered: Dispatch's manager thread
/// opens its signalfd later, 13 ms after a prefork worker had announced itself in one trace. In between, the signal
/// is lost (its disposition is SIG_IGN, as the source needs), so a server stopped the moment it said `listening` ran
/// on. And a descriptor that a flood of connections or a lowered limit takes first is one the signalfd never gets:
/// the server can then not be stopped by a signal at all. So this waits for the registration.
public enum RegisteredSignal {
    /// How long a registration may take; Dispatch's manager thread does it within milliseconds.
    private static let deadline: DispatchTimeInterval = .seconds(5)

    /// A resumed source for `signalNumber` that calls `handler` on a global queue, once the kernel watches for it; the
    /// signal no longer has its default action. Fails when it is not registered within 5 s: Dispatch could not open
    /// its signalfd (EMFILE), and no source then ever says so.
    public static func watch(_ signalNumber: Int32, handler: @escaping @Sendable () -> Void) throws(SignalWatchError)
        -> any DispatchSourceSignal
    {
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
        let registered = DispatchSemaphore(value: 0)
        source.setRegistrationHandler { registered.signal() }
        source.setEventHandler(handler: handler)
        source.resume()
        guard registered.wait(timeout: .now() + deadline) == .success else {
            source.cancel()
            throw SignalWatchError(signalNumber: signalNumber)
        }
        return source
    }
}

public struct SignalWatchError: Error, CustomStringConvertible {
    public let signalNumber: Int32

    public var description: String {
        "cannot watch for signal \(signalNumber) (\(String(cString: strsignal(signalNumber)))) within 5 s: "
            + "out of descriptors?"
    }
}
