import FuzzSupport

@testable import Driver

/// TargetURL on any text: what it accepts has a host, a port in range and a path, and reads back the same from the
/// URL its parts make.
fuzz { input in
    guard let url = try? TargetURL(text(input)) else { return }
    precondition(!url.host.isEmpty && (1...65535).contains(url.port) && url.path.hasPrefix("/"), "\(url)")
    precondition(!url.authority.contains { $0 == "/" || $0 == "?" }, "an authority holding a path: \(url)")
    let again = try? TargetURL((url.isSecure ? "https://" : "http://") + url.authority + url.path)
    precondition(again == url, "\(url) reads back as \(String(describing: again))")
}
