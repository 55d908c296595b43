import Testing

@testable import Driver

@Suite struct TargetURLTests {
    @Test(arguments: [
        ("http://localhost:8080/bytes/16", false, "localhost", 8080, "/bytes/16", "localhost:8080"),
        ("http://127.0.0.1/", false, "127.0.0.1", 80, "/", "127.0.0.1"),
        ("http://[::1]:5050", false, "::1", 5050, "/", "[::1]:5050"),
        ("HTTP://example.org?x=1", false, "example.org", 80, "/?x=1", "example.org"),
        ("https://localhost/", true, "localhost", 443, "/", "localhost"),
        ("HTTPS://[::1]:8443/bytes/16", true, "::1", 8443, "/bytes/16", "[::1]:8443"),
    ])
    func urlsAreTakenAsWrkTakesThem(
        text: String, secure: Bool, host: String, port: Int, path: String, authority: String
    ) throws {
        let url = try TargetURL(text)
        #expect(url == TargetURL(isSecure: secure, host: host, port: port, path: path, authority: authority))
    }

    @Test(arguments: [
        ("ftp://localhost/", "is a URL such as"),
        ("localhost:8080", "is a URL such as"),
        ("http://:80/", "has no host"),
        ("http://[::1/", "without its ']'"),
        ("http://host:99999/", "has a bad port"),
        ("http://host:x/", "has a bad port"),
        // Found by Fuzz/Targets/http-roundtrip (Fuzz/corpus/http-roundtrip/host-with-nul): the host became the
        // Host field, NULs and all, which the server refuses with 400.
        ("HTTP://lo\0\0calhost/a/b%20c", "a space, a control character"),
        ("http://a\r\nX-Smuggled: 1/", "a space, a control character"),
        ("http://a b:80/", "a space, a control character"),
        // Found by Fuzz/Targets/target-url (Fuzz/corpus/target-url/mark-before-the-path): U+0603 and the '/' after
        // it are one Character, and the path was read into the host.
        ("https://a\u{0603}/", "a letter beyond ASCII"),
        ("http://bücher.example/", "a letter beyond ASCII"),
    ])
    func badTargetsSayWhatIsWrong(text: String, message: String) {
        #expect {
            try TargetURL(text)
        } throws: { error in
            "\(error)".contains(message) && "\(error)".contains(text)
        }
    }
}
