"""http: HTTP/1.1 after httpbin, responses parsed by hand from the bytes received (status line, headers
case-insensitively, Content-Length, chunked or close-delimited bodies), not with http.client."""

import re
import socket
import threading
import time
from dataclasses import dataclass

from .common import (
    CLIENTS, CLOSE_TIMEOUT, CONCURRENT_TIMEOUT, Failure, GREETING_LEN, IO_TIMEOUT, PREFIX,
    QUIET_TIME, SUFFIX, abort, all_distinct, connect, deadline_in, expect_closed_clean,
    expect_silence, fill, half_close, looks_random, run_concurrently, sizes_up_to_max,
)


# ---------------------------------------------------------------- http client, parsed by hand

RESPONSE_HEAD_LIMIT = 64 * 1024     # a response head larger than this is a finding, not a wait
HEAD_LIMIT = 8 * 1024               # the server's limit on a request's header section
STATUS_LINE = re.compile(rb"HTTP/(\d)\.(\d) (\d{3}) ([\t !-~\x80-\xff]*)")
HEADER_LINE = re.compile(rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([\t !-~\x80-\xff]*?)[ \t]*")
NOT_FOUND_PATHS = ["/nope", "/bytes", "/BYTES/5", "/index.html"]
NOT_NUMBER_PATHS = ["/bytes/abc", "/bytes/12abc", "/bytes/1.5", "/bytes/0x10"]


@dataclass
class Response:
    version: str          # "1.1" or "1.0"
    status: int
    reason: str
    headers: list         # [(lower-case name, value)] in the order sent
    body: bytes
    framing: str          # "length", "chunked", "close" (read to EOF) or "none" (HEAD, 1xx, 204, 304)
    head: bytes           # the exact status line and header bytes

    def values(self, name):
        return [v for k, v in self.headers if k == name]

    def get(self, name):
        vs = self.values(name)
        return ", ".join(vs) if vs else None

    def tokens(self, name):
        return {x.strip().lower() for v in self.values(name) for x in v.split(",") if x.strip()}

    def says_close(self):
        return "close" in self.tokens("connection")

    def shown(self):
        return f"{self.head[:300]!r}{'...' if len(self.head) > 300 else ''}"


def http_request(method="GET", path="/bytes/16", version="1.1", headers=(), body=b"", host=True):
    lines = [f"{method} {path} HTTP/{version}"] + (["Host: localhost"] if host else [])
    lines += [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class HttpConn:
    """One client connection with its own receive buffer, so kept-alive and pipelined responses
    are parsed from exactly the bytes the server sent (no http.client)."""

    def __init__(self, t, deadline=None, session=None):
        self.sock = connect(t, deadline, session)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.end = None                      # None while open, else "EOF" or "a connection reset"

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.sock.close()

    def send(self, data, deadline, tolerate_close=False):
        """sendall with a deadline; with tolerate_close a server that already closed is no error
        (the check then looks at what it answered)."""
        self.sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            if not tolerate_close:
                raise

    def _fill(self, deadline):
        return fill(self, deadline)

    def _then(self):
        return self.end or "nothing more within the deadline"

    def _take(self, n):
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def read_exact(self, n, deadline, what):
        while len(self.buf) < n:
            if not self._fill(deadline):
                raise Failure(f"{what}: expected {n} bytes, got {len(self.buf)} then {self._then()}")
        return self._take(n)

    def read_line(self, deadline, what):
        while (i := self.buf.find(b"\r\n")) < 0:
            if len(self.buf) > 1024 or not self._fill(deadline):
                raise Failure(f"{what}: expected a CRLF-ended line, got {bytes(self.buf[:80])!r} "
                              f"then {self._then()}")
        return self._take(i + 2)[:-2]

    def read_to_eof(self, deadline, what):
        while self._fill(deadline):
            if len(self.buf) > 16 << 20:
                raise Failure(f"{what}: expected a bounded close-delimited body, got over 16 MiB")
        if not self.end:
            raise Failure(f"{what}: a response without Content-Length or chunked framing must end "
                          f"with a close; got {len(self.buf)} bytes and the connection left open")
        return self._take(len(self.buf))

    def read_head(self, deadline, what):
        while (i := self.buf.find(b"\r\n\r\n")) < 0:
            if len(self.buf) > RESPONSE_HEAD_LIMIT:
                raise Failure(f"{what}: expected a response head, got over "
                              f"{RESPONSE_HEAD_LIMIT} bytes without CRLF CRLF")
            if not self._fill(deadline):
                got = f"{len(self.buf)} bytes {bytes(self.buf[:120])!r}" if self.buf else "no bytes"
                raise Failure(f"{what}: expected a response, got {got} then {self._then()}")
        return self._take(i + 4)

    def read_response(self, deadline, what="response", head_request=False):
        head = self.read_head(deadline, what)
        lines = head[:-4].split(b"\r\n")
        for line in lines:
            if b"\r" in line or b"\n" in line:
                raise Failure(f"{what}: expected CRLF line ends, got a bare CR or LF in {head[:300]!r}")
        m = STATUS_LINE.fullmatch(lines[0])
        if not m:
            raise Failure(f"{what}: expected a status line 'HTTP/1.x NNN reason', got {lines[0][:120]!r}")
        headers = []
        for line in lines[1:]:
            h = HEADER_LINE.fullmatch(line)
            if not h:
                raise Failure(f"{what}: expected 'Name: value' header lines, got {line[:120]!r}")
            headers.append((h.group(1).decode().lower(), h.group(2).decode("latin-1")))
        r = Response(f"{m.group(1).decode()}.{m.group(2).decode()}", int(m.group(3)),
                     m.group(4).decode("latin-1"), headers, b"", "none", head)
        lengths = set(r.values("content-length"))
        if len(lengths) > 1 or any(not v.isdigit() for v in lengths):
            raise Failure(f"{what}: expected one decimal Content-Length, got {sorted(lengths)}")
        te = [x.strip().lower() for v in r.values("transfer-encoding") for x in v.split(",")]
        if te and lengths:
            raise Failure(f"{what}: expected Content-Length or Transfer-Encoding, got both: {r.shown()}")
        if head_request or 100 <= r.status < 200 or r.status in (204, 304):
            return r
        if te:
            if te[-1] != "chunked":
                raise Failure(f"{what}: expected chunked as the last transfer coding, got {te}")
            r.body, r.framing = self._read_chunked(deadline, what), "chunked"
        elif lengths:
            r.body, r.framing = self.read_exact(int(lengths.pop()), deadline, f"{what} body"), "length"
        else:
            r.body, r.framing = self.read_to_eof(deadline, f"{what} body"), "close"
        return r

    def _read_chunked(self, deadline, what):
        body = bytearray()
        while True:
            line = self.read_line(deadline, f"{what} chunk size")
            size = line.split(b";", 1)[0].strip()
            if not re.fullmatch(rb"[0-9A-Fa-f]{1,8}", size):
                raise Failure(f"{what}: expected a hex chunk size, got {line!r}")
            if int(size, 16) == 0:
                break
            body += self.read_exact(int(size, 16), deadline, f"{what} chunk")
            if self.read_exact(2, deadline, f"{what} chunk end") != b"\r\n":
                raise Failure(f"{what}: expected CRLF after a chunk's data")
        while self.read_line(deadline, f"{what} trailer"):
            pass
        return bytes(body)

    def expect_eof(self, deadline, what, allow_reset=False):
        while self._fill(deadline):
            pass
        expect_closed_clean(self, what, allow_reset, shown=80)

    def expect_silence(self, what):
        if self.buf:
            raise Failure(f"{what}: expected no answer yet, got {len(self.buf)} bytes")
        expect_silence(self.sock, what)


# ---------------------------------------------------------------- http expectations

def expect_status(r, status, what):
    if r.status != status:
        raise Failure(f"{what}: expected status {status}, got {r.status} {r.reason}: {r.shown()}")


def expect_bytes(r, n, what, head_request=False, version="1.1"):
    """A /bytes/N answer: 200 OK, Content-Length N, octet-stream, N bytes (none for HEAD)."""
    expect_status(r, 200, what)
    if r.reason != "OK":
        raise Failure(f"{what}: expected '200 OK', got '200 {r.reason}'")
    if version == "1.1" and r.version != "1.1":
        raise Failure(f"{what}: expected an HTTP/1.1 response, got HTTP/{r.version}")
    if r.get("content-length") != str(n):
        raise Failure(f"{what}: expected Content-Length: {n}, got {r.get('content-length')!r}")
    ctype = (r.get("content-type") or "").split(";")[0].strip().lower()
    if ctype != "application/octet-stream":
        raise Failure(f"{what}: expected Content-Type: application/octet-stream, "
                      f"got {r.get('content-type')!r}")
    if not head_request and len(r.body) != n:
        raise Failure(f"{what}: expected {n} body bytes, got {len(r.body)}")


def expect_greeting_body(r, what, head_request=False):
    expect_status(r, 200, what)
    if r.get("content-length") != str(GREETING_LEN):
        raise Failure(f"{what}: expected Content-Length: {GREETING_LEN}, "
                      f"got {r.get('content-length')!r}")
    if head_request:
        return None
    b = r.body
    if len(b) != GREETING_LEN or not b.startswith(PREFIX) or not b.endswith(SUFFIX):
        raise Failure(f"{what}: expected the {GREETING_LEN}-byte greeting frame as the body, "
                      f"got {len(b)} bytes {b[:40]!r}...{b[-34:]!r}")
    return b[len(PREFIX):len(PREFIX) + 16]


def expect_framed(r, what):
    """A response on a connection that stays open must say where its body ends."""
    if r.framing == "close":
        raise Failure(f"{what}: expected Content-Length or chunked framing, got a body ended by "
                      f"the close: {r.shown()}")


def expect_kept_open(c, r, deadline, what):
    """No `Connection: close`, and the connection serves the next request (which also shows that
    anything sent with the previous one was consumed exactly)."""
    if r.says_close():
        raise Failure(f"{what}: expected the connection kept open, got Connection: {r.get('connection')}")
    expect_framed(r, what)
    c.send(http_request(path="/bytes/5"), deadline)
    expect_bytes(c.read_response(deadline, f"GET /bytes/5 after {what}"), 5,
                 f"GET /bytes/5 after {what} on the same connection")


def expect_closed(c, deadline, what, r=None, must_say_close=False):
    if must_say_close and not r.says_close():
        raise Failure(f"{what}: expected Connection: close in the response, "
                      f"got Connection: {r.get('connection')!r}")
    c.expect_eof(deadline, f"after {what}", allow_reset=not must_say_close)


def expect_consistent(c, r, deadline, what):
    """Where the specification does not say whether the connection stays, the response must tell
    the truth: after `Connection: close` the server closes, otherwise the next request works."""
    if r.says_close():
        expect_closed(c, deadline, what)
    else:
        expect_kept_open(c, r, deadline, what)


def http_once(t, data, what, deadline=None, head_request=False):
    """A fresh connection, one request (raw bytes), its response; returns (conn, response)."""
    deadline = deadline or deadline_in(IO_TIMEOUT)
    c = HttpConn(t, deadline)
    try:
        c.send(data, deadline, tolerate_close=True)
        return c, c.read_response(deadline, what, head_request)
    except BaseException:
        c.sock.close()
        raise


def expect_error_and_close(t, data, status, what):
    deadline = deadline_in(IO_TIMEOUT)
    c, r = http_once(t, data, what, deadline)
    with c:
        expect_status(r, status, what)
        expect_closed(c, deadline_in(CLOSE_TIMEOUT), f"{status} for {what}")


def http_session(t, sizes, deadline, close_last=False):
    """GET /bytes/N for each size on one kept-alive connection, each answer checked exactly."""
    answers = []
    with HttpConn(t, deadline) as c:
        for i, n in enumerate(sizes):
            last = close_last and i == len(sizes) - 1
            what = f"GET /bytes/{n}" + (" with Connection: close" if last else "")
            c.send(http_request(path=f"/bytes/{n}",
                                headers=[("Connection", "close")] if last else ()), deadline)
            r = c.read_response(deadline, what)
            expect_bytes(r, n, what)
            if last:
                expect_closed(c, deadline, what, r, must_say_close=True)
            elif r.says_close():
                raise Failure(f"{what}: expected keep-alive (HTTP/1.1 default), got Connection: close")
            answers.append(r.body)
    return answers


def http_still_answers(t):
    time.sleep(QUIET_TIME)
    try:
        http_session(t, [16], deadline_in(IO_TIMEOUT))
    except Failure as e:
        raise Failure(f"server no longer serves a new connection: {e}") from None


# ---------------------------------------------------------------- http checks

def check_http_get_bytes(t):
    http_session(t, sizes_up_to_max(t, [1, 16, 4096, 65536, t.max]), deadline_in(IO_TIMEOUT))


def check_http_bytes_zero(t):
    """The specification does not say whether N = 0 is valid: accept 200 with an empty body or a
    400, as long as the server stays truthful about the connection."""
    deadline = deadline_in(IO_TIMEOUT)
    c, r = http_once(t, http_request(path="/bytes/0"), "GET /bytes/0", deadline)
    with c:
        if r.status == 200:
            expect_bytes(r, 0, "GET /bytes/0")
        elif r.status != 400:
            raise Failure(f"GET /bytes/0: expected 200 with no body or 400, got {r.status}: {r.shown()}")
        expect_consistent(c, r, deadline, "GET /bytes/0")


def check_http_get_root(t):
    deadline = deadline_in(IO_TIMEOUT)
    with HttpConn(t, deadline) as c:
        values = []
        for i in range(2):
            c.send(http_request(path="/"), deadline)
            values.append(expect_greeting_body(c.read_response(deadline, f"GET / (#{i + 1})"),
                                               f"GET / (#{i + 1} on one connection)"))
    if values[0] == values[1]:
        raise Failure(f"GET /: expected different 16 random bytes in two answers, got {values[0].hex()} twice")


def check_http_head(t):
    deadline = deadline_in(IO_TIMEOUT)
    with HttpConn(t, deadline) as c:
        c.send(http_request("HEAD", "/bytes/1000"), deadline)
        expect_bytes(c.read_response(deadline, "HEAD /bytes/1000", head_request=True), 1000,
                     "HEAD /bytes/1000", head_request=True)
        c.expect_silence("after the headers of HEAD /bytes/1000 (a body was sent)")
        c.send(http_request("HEAD", "/"), deadline)
        expect_greeting_body(c.read_response(deadline, "HEAD /", head_request=True), "HEAD /", True)
        c.expect_silence("after the headers of HEAD / (a body was sent)")
        # pipelined: the GET's status line must follow the HEAD's headers at once
        c.send(http_request("HEAD", "/bytes/50") + http_request(path="/bytes/3"), deadline)
        expect_bytes(c.read_response(deadline, "HEAD /bytes/50", head_request=True), 50,
                     "HEAD /bytes/50", head_request=True)
        expect_bytes(c.read_response(deadline, "GET /bytes/3 pipelined after HEAD /bytes/50"), 3,
                     "GET /bytes/3 pipelined after HEAD /bytes/50")


def check_http_connection_close(t):
    deadline = deadline_in(IO_TIMEOUT)
    http_session(t, [100], deadline, close_last=True)
    http_session(t, [7, 8, 9], deadline, close_last=True)
    what = "GET /bytes/11 with 'connection: CLOSE' (case-insensitive)"
    c, r = http_once(t, http_request(path="/bytes/11", headers=[("connection", "CLOSE")]), what, deadline)
    with c:
        expect_bytes(r, 11, what)
        expect_closed(c, deadline, what, r, must_say_close=True)


def check_http10_closes(t):
    deadline = deadline_in(IO_TIMEOUT)
    what = "HTTP/1.0 GET /bytes/100 (no Host, no Connection)"
    c, r = http_once(t, http_request(path="/bytes/100", version="1.0", host=False), what, deadline)
    with c:
        expect_bytes(r, 100, what, version="1.0")
        if "keep-alive" in r.tokens("connection"):
            raise Failure(f"{what}: expected no keep-alive, got Connection: {r.get('connection')}")
        c.expect_eof(deadline, f"after {what}")


def check_http10_keepalive(t):
    deadline = deadline_in(IO_TIMEOUT)
    with HttpConn(t, deadline) as c:
        for n in (10, 20):
            what = f"HTTP/1.0 GET /bytes/{n} with Connection: Keep-Alive (as ab -k)"
            c.send(http_request(path=f"/bytes/{n}", version="1.0",
                                headers=[("Connection", "Keep-Alive")]), deadline)
            r = c.read_response(deadline, what)
            expect_bytes(r, n, what, version="1.0")
            if "keep-alive" not in r.tokens("connection") or r.says_close():
                raise Failure(f"{what}: expected Connection: keep-alive echoed, "
                              f"got Connection: {r.get('connection')!r}")
            if r.framing != "length":
                raise Failure(f"{what}: expected a Content-Length body for HTTP/1.0, got {r.framing}")
        what = "HTTP/1.0 GET /bytes/30 without keep-alive, third on the connection"
        c.send(http_request(path="/bytes/30", version="1.0"), deadline)
        expect_bytes(c.read_response(deadline, what), 30, what, version="1.0")
        c.expect_eof(deadline, f"after {what}")


def check_http_pipelined(t):
    deadline = deadline_in(IO_TIMEOUT)
    sizes = [1, 100, 7, 4096, 3]
    with HttpConn(t, deadline) as c:
        c.send(b"".join(http_request(path=f"/bytes/{n}") for n in sizes), deadline)
        for i, n in enumerate(sizes):
            what = f"pipelined request {i + 1} of {len(sizes)}, GET /bytes/{n}"
            expect_bytes(c.read_response(deadline, what), n, what)
    mixed = [("GET /bytes/3", http_request(path="/bytes/3"), 200, False),
             ("HEAD /bytes/100", http_request("HEAD", "/bytes/100"), 200, True),
             ("GET /", http_request(path="/"), 200, False),
             ("GET /nope", http_request(path="/nope"), 404, False),
             ("GET /bytes/4 with a 6-byte body", http_request(
                 path="/bytes/4", headers=[("Content-Length", "6")], body=b"abcdef"), 200, False),
             ("GET /bytes/7 with Connection: close",
              http_request(path="/bytes/7", headers=[("Connection", "close")]), 200, False)]
    with HttpConn(t, deadline) as c:
        c.send(b"".join(m[1] for m in mixed), deadline)
        for i, (what, _, status, head) in enumerate(mixed):
            what = f"pipelined request {i + 1} of {len(mixed)}, {what}"
            r = c.read_response(deadline, what, head_request=head)
            expect_status(r, status, what)
            if what.endswith("GET /"):
                expect_greeting_body(r, what)
            elif status == 200:
                expect_bytes(r, int(mixed[i][0].split()[1].split("/")[2]), what, head_request=head)
            else:
                expect_framed(r, what)
        expect_closed(c, deadline, what, r, must_say_close=True)


def check_http_pipelined_large(t):
    deadline = deadline_in(IO_TIMEOUT)
    sizes = sizes_up_to_max(t, [65536, 65535, 65534, 65533, 65532, 65531, 65530, t.max])
    with HttpConn(t, deadline) as c:
        c.send(b"".join(http_request(path=f"/bytes/{n}") for n in sizes), deadline)
        for i, n in enumerate(sizes):
            what = f"pipelined large request {i + 1} of {len(sizes)}, GET /bytes/{n}"
            expect_bytes(c.read_response(deadline, what), n, what)


def check_http_split_request(t):
    deadline = deadline_in(IO_TIMEOUT)
    pieces = [b"GE", b"T /by", b"tes/300 HT", b"TP/1.1\r", b"\nHost: local", b"host\r\n\r", b"\n"]
    with HttpConn(t, deadline) as c:
        for i, piece in enumerate(pieces):
            if i:
                c.expect_silence(f"after {b''.join(pieces[:i])!r} of a request")
            c.send(piece, deadline)
        what = f"GET /bytes/300 sent in {len(pieces)} pieces"
        expect_bytes(c.read_response(deadline, what), 300, what)
        second = http_request(path="/bytes/5")
        c.send(http_request(path="/bytes/2") + second[:9], deadline)
        expect_bytes(c.read_response(deadline, "GET /bytes/2"), 2, "GET /bytes/2")
        c.expect_silence("with 9 bytes of the next request line sent")
        c.send(second[9:], deadline)
        what = "GET /bytes/5 whose request line straddles two sends"
        expect_bytes(c.read_response(deadline, what), 5, what)


def check_http_body_discarded(t):
    deadline = deadline_in(IO_TIMEOUT)
    smuggled = http_request(path="/nope")      # a body that looks like a request is still a body
    big = bytes(range(256)) * 274              # 70144 bytes, more than one read
    with HttpConn(t, deadline) as c:
        c.send(http_request(path="/bytes/10", headers=[("Content-Length", str(len(smuggled)))],
                            body=smuggled), deadline)
        what = f"GET /bytes/10 with a {len(smuggled)}-byte body that looks like a request"
        expect_bytes(c.read_response(deadline, what), 10, what)
        c.send(http_request(path="/bytes/7"), deadline)
        what = "GET /bytes/7 after a request with a body (the body was not discarded)"
        expect_bytes(c.read_response(deadline, what), 7, what)
        c.send(http_request(path="/bytes/9", headers=[("content-length", f" {len(big)} ")])
               + big[:1000], deadline)
        time.sleep(QUIET_TIME)
        c.send(big[1000:], deadline)
        what = f"GET /bytes/9 with a {len(big)}-byte body sent in two parts"
        expect_bytes(c.read_response(deadline, what), 9, what)
        c.send(http_request(path="/bytes/8"), deadline)
        what = f"GET /bytes/8 after a request with a {len(big)}-byte body"
        expect_bytes(c.read_response(deadline, what), 8, what)


def check_http_bad_request_line(t):
    for line in [b"HELLO", b"GET /bytes/5 HTTP/1.1 extra", b"GET /bytes/5 HTXP/1.1",
                 b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"]:
        expect_error_and_close(t, line + b"\r\nHost: localhost\r\n\r\n", 400,
                               f"request line {line!r}")


def check_http_bad_header(t):
    for bad in [b"Host localhost", b"Host : localhost", b"Bad Name: x", b": no-name"]:
        expect_error_and_close(t, b"GET /bytes/5 HTTP/1.1\r\n" + bad + b"\r\n\r\n", 400,
                               f"header line {bad!r}")


def check_http_bad_content_length(t):
    for value in ["abc", "-1", "5, 6"]:
        body = b"x" * 5
        expect_error_and_close(t, http_request(path="/bytes/5", headers=[("Content-Length", value)],
                                               body=body), 400, f"Content-Length: {value}")


def check_http_bytes_not_number(t):
    for path in NOT_NUMBER_PATHS:
        deadline = deadline_in(IO_TIMEOUT)
        c, r = http_once(t, http_request(path=path), f"GET {path}", deadline)
        with c:
            expect_status(r, 400, f"GET {path}")
            expect_consistent(c, r, deadline, f"400 for GET {path}")


def check_http_over_max(t):
    deadline = deadline_in(IO_TIMEOUT)
    with HttpConn(t, deadline) as c:
        for n in dict.fromkeys([t.max + 1, 1 << 31, (1 << 32) + 5]):
            what = f"GET /bytes/{n} (max {t.max})"
            c.send(http_request(path=f"/bytes/{n}"), deadline)
            r = c.read_response(deadline, what)
            expect_status(r, 413, what)
            if r.says_close():
                raise Failure(f"{what}: expected the connection kept open after 413, got Connection: close")
            expect_framed(r, what)
        expect_kept_open(c, r, deadline, "413s")


def check_http_over_max_huge(t):
    """Numbers beyond 64 bits are still numbers above max (an overflow must not turn into 400,
    a crash or a small N)."""
    for n in [(1 << 64) + 5, 10 ** 30]:
        deadline = deadline_in(IO_TIMEOUT)
        c, r = http_once(t, http_request(path=f"/bytes/{n}"), f"GET /bytes/{n}", deadline)
        with c:
            expect_status(r, 413, f"GET /bytes/{n} (max {t.max})")
            expect_consistent(c, r, deadline, f"413 for GET /bytes/{n}")


def check_http_not_found(t):
    deadline = deadline_in(IO_TIMEOUT)
    with HttpConn(t, deadline) as c:
        for path in NOT_FOUND_PATHS:
            c.send(http_request(path=path), deadline)
            r = c.read_response(deadline, f"GET {path}")
            expect_status(r, 404, f"GET {path}")
            if r.says_close():
                raise Failure(f"GET {path}: expected the connection kept open after 404, "
                              "got Connection: close")
            expect_framed(r, f"GET {path}")
        expect_kept_open(c, r, deadline, "404s")


def check_http_method_not_allowed(t):
    for method, path, body in [("POST", "/bytes/5", b"hello"), ("PUT", "/", b""),
                               ("DELETE", "/bytes/5", b""), ("OPTIONS", "/", b"")]:
        what = f"{method} {path}"
        deadline = deadline_in(IO_TIMEOUT)
        headers = [("Content-Length", str(len(body)))] if body else ()
        c, r = http_once(t, http_request(method, path, headers=headers, body=body), what, deadline)
        with c:
            expect_status(r, 405, what)
            allow = r.tokens("allow")
            if not {"get", "head"} <= allow:
                raise Failure(f"{what}: expected an Allow header naming GET and HEAD, "
                              f"got Allow: {r.get('allow')!r}")
            expect_consistent(c, r, deadline, f"405 for {what}")


def big_headers(total, name="X-Big"):
    return [(name, "a" * (total - len(name) - 4))]


def check_http_header_too_large(t):
    expect_error_and_close(t, http_request(path="/bytes/5", headers=big_headers(HEAD_LIMIT + 800)),
                           431, f"a {HEAD_LIMIT + 800}-byte header line")
    many = [(f"X-H{i:03}", "b" * 40) for i in range(200)]           # 200 x 49 bytes = 9800
    expect_error_and_close(t, http_request(path="/bytes/5", headers=many), 431,
                           "200 header lines totalling 9.8 KiB")
    unended = http_request(path="/bytes/5", headers=big_headers(HEAD_LIMIT + 200))[:-2]
    deadline = deadline_in(CLOSE_TIMEOUT)
    what = f"{len(unended)} bytes of header section not yet ended"
    c, r = http_once(t, unended, what, deadline)
    with c:
        expect_status(r, 431, f"{what} (answered within {CLOSE_TIMEOUT:.0f} s)")
        expect_closed(c, deadline_in(CLOSE_TIMEOUT), f"431 for {what}")


def check_http_header_under_limit(t):
    what = "a 7 KiB header section"
    deadline = deadline_in(IO_TIMEOUT)
    c, r = http_once(t, http_request(path="/bytes/5", headers=big_headers(7 * 1024)), what, deadline)
    with c:
        expect_bytes(r, 5, what)
        expect_kept_open(c, r, deadline, what)


def check_http_transfer_encoding(t):
    chunked = b"5\r\nhello\r\n0\r\n\r\n"
    for headers, body in [([("Transfer-Encoding", "chunked")], chunked),
                          ([("Transfer-Encoding", "gzip, chunked")], chunked),
                          ([("Content-Length", "5"), ("Transfer-Encoding", "chunked")], chunked)]:
        what = "GET /bytes/5 with " + ", ".join(f"{k}: {v}" for k, v in headers)
        expect_error_and_close(t, http_request(path="/bytes/5", headers=headers, body=body), 501, what)


def check_http11_no_host(t):
    what = "HTTP/1.1 GET /bytes/5 without Host"
    deadline = deadline_in(IO_TIMEOUT)
    c, r = http_once(t, http_request(path="/bytes/5", host=False), what, deadline)
    with c:
        expect_status(r, 400, what)
        expect_consistent(c, r, deadline, f"400 for {what}")


def check_http_slowloris(t):
    """A partial head, then one byte a second: closed within read timeout + 3 s. Meanwhile a
    second client is served; a model that serves one connection at a time (blocking) may serve it
    only after the close, any other model must serve it while the slow client is stalled."""
    limit = t.read_timeout + 3.0
    start = time.monotonic()
    served = {}

    def other():
        try:
            http_session(t, [16], deadline_in(limit + IO_TIMEOUT))
            served["at"] = time.monotonic()
        except Exception as e:  # noqa: BLE001 - reported below
            served["error"] = e

    helper = threading.Thread(target=other, daemon=True)
    with HttpConn(t) as c:
        c.send(b"GET /bytes/5 HTTP/1.1\r\nHost: localhost\r\nX-Slow: ", deadline_in(IO_TIMEOUT))
        sent, closed_at, next_send = 0, None, start + 1.0
        while closed_at is None:
            now = time.monotonic()
            if now - start > limit:
                raise Failure(f"slow client (partial head, then 1 byte/s, {sent} bytes so far): "
                              f"expected a close within {limit:.0f} s (read timeout "
                              f"{t.read_timeout:g} s + 3), still open")
            if now >= next_send:
                if sent == 0:
                    helper.start()
                c.send(b"a", deadline_in(IO_TIMEOUT), tolerate_close=True)
                sent, next_send = sent + 1, next_send + 1.0
            if not c._fill(deadline_in(max(0.05, min(next_send, start + limit) - now))) and c.end:
                closed_at = time.monotonic()
        if c.buf:                # a 408 (or other 4xx) before the close is what some servers send
            r = c.read_response(deadline_in(CLOSE_TIMEOUT), "answer to the slow client")
            if not 400 <= r.status < 500:
                raise Failure(f"slow client: expected a close (or a 4xx such as 408), got {r.shown()}")
    helper.join(max(0.0, limit + IO_TIMEOUT + 1.0 - (time.monotonic() - start)))
    if "error" in served or "at" not in served:
        raise Failure(f"another client during a slow one: {served.get('error', 'not served in time')}")
    if t.model and t.model != "blocking" and served["at"] > closed_at:
        raise Failure(f"another client was served only after the slow one was closed "
                      f"({served['at'] - start:.1f} s vs {closed_at - start:.1f} s): a slow client "
                      f"holds up model {t.model}")


def check_http_abort_survives(t):
    deadline = deadline_in(IO_TIMEOUT)
    s = connect(t, deadline)
    s.sendall(b"\x00\xff garbage \r\n\r\n" + bytes(range(256)))
    s.close()
    for _ in range(5):                      # vanish with answers pending (SIGPIPE, EPIPE)
        s = connect(t, deadline)
        s.sendall(http_request(path=f"/bytes/{t.max}") * 3)
        abort(s)
    s = connect(t, deadline)
    s.sendall(http_request(path=f"/bytes/{t.max}"))
    s.close()
    s = connect(t, deadline)
    s.sendall(b"GET /bytes/5 HTTP/1.1\r\nHost: loc")
    abort(s)
    s = connect(t, deadline)
    s.sendall(b"GET /bytes/5 HTTP/1.1\r\nHost: loc")
    half_close(s)
    s.close()
    for _ in range(10):
        abort(connect(t, deadline))
    http_still_answers(t)


def check_http_random(t):
    a, b = http_session(t, [64, 64], deadline_in(IO_TIMEOUT))
    (c,) = http_session(t, [64], deadline_in(IO_TIMEOUT))
    if not all_distinct([a, b, c]):
        raise Failure("expected three different 64-byte bodies (two on one connection, one on "
                      f"another), got {a.hex()[:16]}.. {b.hex()[:16]}.. {c.hex()[:16]}..")
    (big,) = http_session(t, [t.max], deadline_in(IO_TIMEOUT))
    if not looks_random(big):
        raise Failure(f"expected a /bytes/{t.max} body without constant or zero-filled 4 KiB blocks")


def check_http_concurrent(t):
    base = sizes_up_to_max(t, [1, 16, 1000, 4096, 65536])

    def client(i, deadline):
        k = i % len(base)
        http_session(t, base[k:] + base[:k], deadline, close_last=i % 2 == 1)

    run_concurrently(CLIENTS, client, CONCURRENT_TIMEOUT)


def check_http_concurrent_with_aborts(t):
    """40 well-behaved keep-alive clients while 10 others reset with answers pending or send
    garbage: every well-behaved client is answered exactly."""
    base = sizes_up_to_max(t, [1, 16, 1000, 4096, 65536])

    def client(i, deadline):
        if i % 5 == 4:
            s = connect(t, deadline)
            if i % 10 == 4:
                s.sendall(http_request(path=f"/bytes/{t.max}") * 2)
                abort(s)
            else:
                s.sendall(b"\x16\x03\x01 not http\r\n\r\n")
                s.close()
            return
        http_session(t, base, deadline)

    run_concurrently(CLIENTS, client, CONCURRENT_TIMEOUT)
    http_still_answers(t)


CHECKS = [
    ("http_get_bytes_keepalive", check_http_get_bytes),
    ("http_bytes_zero_either_way", check_http_bytes_zero),
    ("http_get_root_greeting", check_http_get_root),
    ("http_head_no_body", check_http_head),
    ("http_connection_close", check_http_connection_close),
    ("http10_closes", check_http10_closes),
    ("http10_keepalive", check_http10_keepalive),
    ("http_pipelined", check_http_pipelined),
    ("http_pipelined_large", check_http_pipelined_large),
    ("http_split_request", check_http_split_request),
    ("http_body_discarded", check_http_body_discarded),
    ("http_bad_request_line_400_close", check_http_bad_request_line),
    ("http_bad_header_400_close", check_http_bad_header),
    ("http_bad_content_length_400_close", check_http_bad_content_length),
    ("http_bytes_not_number_400", check_http_bytes_not_number),
    ("http_over_max_413_keepalive", check_http_over_max),
    ("http_over_max_huge_413", check_http_over_max_huge),
    ("http_not_found_404_keepalive", check_http_not_found),
    ("http_method_405_allow", check_http_method_not_allowed),
    ("http_header_over_8k_431_close", check_http_header_too_large),
    ("http_header_7k_accepted", check_http_header_under_limit),
    ("http_transfer_encoding_501_close", check_http_transfer_encoding),
    ("http11_no_host_400", check_http11_no_host),
    ("http_abort_survives", check_http_abort_survives),
    ("http_random", check_http_random),
    ("http_concurrent_50x5", check_http_concurrent),
    ("http_concurrent_with_aborts", check_http_concurrent_with_aborts),
    ("http_slowloris_closed", check_http_slowloris),
]
SLOW_CHECKS = {check_http_slowloris}
