#if canImport(Glibc)
import Glibc
#endif
import Dispatch

/// A Dispatch signal source that is watching when it is returned.
///
/// `DispatchSource.makeSignalSource` and `resume()` return before the source is registered: Dispatch's manager thread
/// opens its signalfd later, 13 ms after a prefork worker had announced itself in one trace. In between, the signal
/// found the disposition SIG_IGN (set so that it would not kill the process before Dispatch installs its own
/// handler) and was lost: a server stopped the moment it said `listening` ran on. So this waits for the registration.
public enum RegisteredSignal {
    /// How long a registration may take; Dispatch's manager thread does it within milliseconds.
    static let deadlineSeconds = 5

    /// Where the handlers run: a serial queue of its own gets a thread even while the caller holds one of the few
    /// that a global queue has (one per core), which it does while it waits for the registration.
    private static let queue = DispatchQueue(label: "registered-signals")

    /// A resumed source for `signalNumber` that calls `handler`, once the kernel watches for the signal; the signal
    /// no longer has its default action. At most one per signal and process: a second would set SIG_IGN over the
    /// handler Dispatch installed, once, at the first.
    ///
    /// Fails when no descriptor is free for the signalfd: Dispatch would call the registration handler all the same,
    /// and the source would never fire. Or when the registration takes over 5 s.
    public static func watch(_ signalNumber: Int32, handler: @escaping @Sendable () -> Void) throws(SignalWatchError)
        -> any DispatchSourceSignal
    {
        let probe = open("/dev/null", O_RDONLY | O_CLOEXEC)
        if probe < 0 && (errno == EMFILE || errno == ENFILE) {
            throw SignalWatchError(signalNumber: signalNumber, errno: errno)
        }
        if probe >= 0 { close(probe) }
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
        let registered = DispatchSemaphore(value: 0)
        source.setRegistrationHandler { registered.signal() }
        source.setEventHandler(handler: handler)
        source.resume()
        guard registered.wait(timeout: .now() + .seconds(deadlineSeconds)) == .success else {
            source.cancel()
            throw SignalWatchError(signalNumber: signalNumber, errno: nil)
        }
        return source
    }
}

public struct SignalWatchError: Error, CustomStringConvertible {
    public let signalNumber: Int32
    /// Why no descriptor was free (EMFILE, ENFILE); nil when the registration took too long.
    public let errno: Int32?

    public var description: String {
        let name = String(cString: strsignal(signalNumber))
        guard let errno else {
            return "cannot watch for signal \(signalNumber) (\(name)): not registered within "
                + "\(RegisteredSignal.deadlineSeconds) s"
        }
        return "cannot watch for signal \(signalNumber) (\(name)): no descriptor for it: "
            + "\(String(cString: strerror(errno))) (raise `ulimit -n`)"
    }
}
