#!/usr/bin/env python3
"""Protocol conformance client for the benchmark servers.

Written from shared/DESIGN.md ("The wire protocol") only, independently of the Swift code, so
that it does not share the implementers' misreadings. Python 3.11 standard library, loopback only.

    conformance.py --protocol greeting|request|http|echo|multiplex --port PORT [--host 127.0.0.1]
        [--max 1048576] [--read-timeout 5] [--quick]
    conformance.py --protocol request --spawn ".build/release/bench serve --model event-loop \
        --protocol request --port 0"

http responses are parsed by hand from the bytes received (status line, headers case-insensitively,
Content-Length, chunked or close-delimited bodies), not with http.client. multiplex frames are
checked one by one as they arrive (an owed id, 1 .. 16 KiB, never past the id's n).

Prints `PASS name` or `FAIL name: ...` per check, then `N passed, M failed`; exits 0 iff all pass.
"""

import argparse
import os
import random
import re
import select
import shlex
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

PREFIX = b"You requested some random bytes:\n\n"        # 34 bytes
SUFFIX = b"  \n\nYou want fries with that?\n\n"          # 31 bytes
GREETING_LEN = len(PREFIX) + 16 + len(SUFFIX)           # 81 bytes
DEFAULT_MAX = 1 << 20

IO_TIMEOUT = 5.0            # deadline for one check's exchange on one connection
CLOSE_TIMEOUT = 2.0         # "closes at once"
QUIET_TIME = 0.1            # how long "no answer yet" is watched
CONCURRENT_TIMEOUT = 60.0   # 50 clients; generous for a blocking server with a backlog of 1
CLIENTS = 50
READY_TIMEOUT = 10.0
EXIT_TIMEOUT = 10.0
READY_LINE = re.compile(r"^listening (\S+):(\d+) model=(\S+) protocol=(\S+)$")

assert len(PREFIX) == 34 and len(SUFFIX) == 31 and GREETING_LEN == 81


class Failure(Exception):
    """A check's expectation was not met; the message says what was expected and what came."""


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    max: int
    read_timeout: float = 5.0
    model: str | None = None     # from the ready line; None for --port


# ---------------------------------------------------------------- socket helpers

def deadline_in(seconds):
    return time.monotonic() + seconds


def connect(t, deadline=None):
    timeout = IO_TIMEOUT if deadline is None else max(0.1, deadline - time.monotonic())
    try:
        return socket.create_connection((t.host, t.port), timeout=timeout)
    except OSError as e:
        raise Failure(f"expected a connection to {t.host}:{t.port}, got {e!r}") from None


def receive(sock, want, deadline):
    """Read until `want` bytes, EOF, reset or the deadline. Returns (data, 'full'|'eof'|'reset'|'timeout')."""
    buf = bytearray()
    while len(buf) < want:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return bytes(buf), "timeout"
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(min(1 << 16, want - len(buf)))
        except socket.timeout:
            return bytes(buf), "timeout"
        except ConnectionResetError:
            return bytes(buf), "reset"
        if not chunk:
            return bytes(buf), "eof"
        buf += chunk
    return bytes(buf), "full"


def recv_exact(sock, n, deadline, what="response"):
    data, how = receive(sock, n, deadline)
    if how != "full":
        raise Failure(f"{what}: expected {n} bytes, got {len(data)} then {how}")
    return data


def expect_eof(sock, deadline, what="after the responses", allow_reset=False):
    extra, how = receive(sock, 1 << 16, deadline)
    if extra:
        raise Failure(f"{what}: expected EOF, got {len(extra)} extra bytes")
    if how == "reset" and not allow_reset:
        raise Failure(f"{what}: expected EOF, got a connection reset")
    if how == "timeout":
        raise Failure(f"{what}: expected EOF, got nothing within the deadline (connection left open)")


def expect_silence(sock, what):
    """No byte may arrive while the client has not completed a request."""
    readable, _, _ = select.select([sock], [], [], QUIET_TIME)
    if readable:
        try:
            peek = sock.recv(1 << 16, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except OSError:
            peek = b""
        raise Failure(f"{what}: expected no answer yet, got {len(peek)} bytes or a close")


def header(n):
    return struct.pack(">I", n)


def half_close(sock):
    sock.shutdown(socket.SHUT_WR)


def abort(sock):
    """Close with RST (SO_LINGER 0) instead of FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def run_concurrently(count, client, timeout):
    """Start `count` clients at once (a barrier), each `client(i, deadline)` raising Failure."""
    barrier = threading.Barrier(count)
    errors = [None] * count

    def worker(i):
        try:
            barrier.wait(timeout=IO_TIMEOUT)
            client(i, deadline)
        except Exception as e:  # noqa: BLE001 - every error of a client is a finding
            errors[i] = e

    deadline = deadline_in(timeout)
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(count)]
    for th in threads:
        th.start()
    for th in threads:    # a client gives up at the deadline; the margin lets it say why
        th.join(max(0.0, deadline + 1.0 - time.monotonic()))
    stuck = [i for i, th in enumerate(threads) if th.is_alive()]
    failed = [(i, e) for i, e in enumerate(errors) if e is not None and i not in stuck]
    if stuck or failed:
        first = f"; client {failed[0][0]}: {failed[0][1]}" if failed else ""
        raise Failure(f"expected {count} correct clients, got {count - len(stuck) - len(failed)} "
                      f"({len(failed)} failed, {len(stuck)} unfinished after {timeout:.0f} s){first}")


def looks_random(data):
    """No constant or zero-filled stretch: every 4 KiB block of random bytes shows most byte values."""
    for i in range(0, len(data) - 4095, 4096):
        if len(set(data[i:i + 4096])) < 200:
            return False
    return len(data) < 64 or len(set(data[-64:])) >= 16


def all_distinct(items):
    return len(set(items)) == len(items)


# ---------------------------------------------------------------- greeting checks

def read_greeting(t, deadline):
    """One greeting connection: exactly 81 bytes, byte-exact frame, then EOF. Returns the 16 bytes."""
    with connect(t, deadline) as s:
        data, how = receive(s, GREETING_LEN + 1, deadline)
    if len(data) != GREETING_LEN or how != "eof":
        raise Failure(f"expected {GREETING_LEN} bytes then EOF, got {len(data)}"
                      f"{'+' if how == 'full' else ''} bytes then {'more' if how == 'full' else how}")
    if not data.startswith(PREFIX):
        raise Failure(f"expected prefix {PREFIX!r}, got {data[:len(PREFIX)]!r}")
    if not data.endswith(SUFFIX):
        raise Failure(f"expected suffix {SUFFIX!r}, got {data[-len(SUFFIX):]!r}")
    return data[len(PREFIX):len(PREFIX) + 16]


def check_greeting_frame(t):
    read_greeting(t, deadline_in(IO_TIMEOUT))


def check_greeting_random(t):
    values = [read_greeting(t, deadline_in(IO_TIMEOUT)) for _ in range(5)]
    if not all_distinct(values):
        raise Failure("expected 5 different 16-byte values over 5 connections, got "
                      f"{len(set(values))} different: {[v.hex() for v in values]}")


def check_greeting_concurrent(t):
    run_concurrently(CLIENTS, lambda i, deadline: read_greeting(t, deadline), CONCURRENT_TIMEOUT)


def check_greeting_abort_survives(t):
    for _ in range(20):
        abort(connect(t))
    time.sleep(QUIET_TIME)
    read_greeting(t, deadline_in(IO_TIMEOUT))


# ---------------------------------------------------------------- request checks

def exchange(s, sizes, deadline):
    """Send each request and read its answer before the next. Returns the answers."""
    answers = []
    for n in sizes:
        s.sendall(header(n))
        answers.append(recv_exact(s, n, deadline, f"request n={n}"))
    return answers


def finish(s, deadline):
    """Half-close and require EOF with no further bytes."""
    half_close(s)
    expect_eof(s, deadline, "after half-close")


def request_session(t, sizes, deadline=None):
    deadline = deadline or deadline_in(IO_TIMEOUT)
    with connect(t, deadline) as s:
        answers = exchange(s, sizes, deadline)
        finish(s, deadline)
    return answers


def server_still_answers(t):
    time.sleep(QUIET_TIME)
    try:
        request_session(t, [16])
    except Failure as e:
        raise Failure(f"server no longer serves a new connection: {e}") from None


def sizes_up_to_max(t, sizes):
    return list(dict.fromkeys(min(n, t.max) for n in sizes))


def check_request_sizes(t):
    request_session(t, sizes_up_to_max(t, [1, 16, 4096, 65536, t.max]))


def check_request_pipelined(t):
    sizes = [1, 100, 7, 4096]
    deadline = deadline_in(IO_TIMEOUT)
    with connect(t) as s:
        s.sendall(b"".join(header(n) for n in sizes))
        recv_exact(s, sum(sizes), deadline, f"pipelined {sizes}")
        finish(s, deadline)


def check_request_split_header(t):
    n = 300
    deadline = deadline_in(IO_TIMEOUT)
    with connect(t) as s:
        for i, byte in enumerate(header(n)):
            if i:
                expect_silence(s, f"after {i} of 4 header bytes")
            s.sendall(bytes([byte]))
        recv_exact(s, n, deadline, f"request n={n} sent one byte at a time")
        finish(s, deadline)


def check_request_straddling_header(t):
    first, second = 5, 7
    deadline = deadline_in(IO_TIMEOUT)
    with connect(t) as s:
        s.sendall(header(first) + header(second)[:2])
        recv_exact(s, first, deadline, f"request n={first}")
        expect_silence(s, "with 2 of 4 bytes of the next header sent")
        s.sendall(header(second)[2:])
        recv_exact(s, second, deadline, f"request n={second} whose header straddles two sends")
        finish(s, deadline)


def check_request_half_close_outstanding(t):
    sizes = sizes_up_to_max(t, [t.max, 1, 65536, 16])
    deadline = deadline_in(IO_TIMEOUT)
    with connect(t) as s:
        s.sendall(b"".join(header(n) for n in sizes))
        half_close(s)
        recv_exact(s, sum(sizes), deadline, f"requests {sizes} sent before the half-close")
        expect_eof(s, deadline, "after the outstanding answers")


def check_request_half_close_partial(t):
    deadline = deadline_in(IO_TIMEOUT)
    with connect(t) as s:
        s.sendall(header(16) + header(16)[:2])
        half_close(s)
        recv_exact(s, 16, deadline, "the complete request before an incomplete header")
        expect_eof(s, deadline, "after a half-close inside a header", allow_reset=True)


def check_request_half_close_idle(t):
    with connect(t) as s:
        half_close(s)
        expect_eof(s, deadline_in(IO_TIMEOUT), "half-close without any request")


def expect_closed_for(t, n):
    """The server must close (EOF or reset) without sending a byte, while our side stays open."""
    with connect(t) as s:
        s.sendall(header(n))
        expect_eof(s, deadline_in(CLOSE_TIMEOUT), f"request n={n}", allow_reset=True)


def check_request_zero(t):
    expect_closed_for(t, 0)


def check_request_over_max(t):
    expect_closed_for(t, t.max + 1)


def check_request_huge(t):
    for n in (0x80000000, 0xFFFFFFFF):    # sign and overflow traps
        expect_closed_for(t, n)


GARBAGE = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n" + bytes(range(256))


def send_garbage(t):
    """Garbage from one client that closes and one that resets."""
    s = connect(t)
    s.sendall(GARBAGE)
    s.close()
    s = connect(t)
    s.sendall(GARBAGE)
    abort(s)


def check_request_garbage_survives(t):
    send_garbage(t)
    server_still_answers(t)


def check_request_abort_survives(t):
    """Clients that vanish (RST) with an answer pending must not take the server down (SIGPIPE)."""
    for _ in range(10):
        s = connect(t)
        s.sendall(header(t.max) * 2)
        abort(s)
    for _ in range(10):
        abort(connect(t))
    server_still_answers(t)


def check_request_random(t):
    a, b = request_session(t, [64, 64])
    (c,) = request_session(t, [64])
    if not all_distinct([a, b, c]):
        raise Failure("expected three different 64-byte answers (two on one connection, one on "
                      f"another), got {a.hex()[:16]}.. {b.hex()[:16]}.. {c.hex()[:16]}..")
    (big,) = request_session(t, [t.max])
    if not looks_random(big):
        raise Failure(f"expected an n={t.max} answer without constant or zero-filled 4 KiB blocks")


def check_request_concurrent(t):
    base = sizes_up_to_max(t, [1, 16, 1000, 4096, 65536])

    def client(i, deadline):
        k = i % len(base)
        request_session(t, base[k:] + base[:k], deadline)

    run_concurrently(CLIENTS, client, CONCURRENT_TIMEOUT)



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


def fill(conn, deadline):
    """Append one recv's bytes to conn.buf (conn has sock, buf, end); False at EOF, reset or the deadline."""
    if conn.end:
        return False
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return False
    conn.sock.settimeout(remaining)
    try:
        chunk = conn.sock.recv(1 << 16)
    except socket.timeout:
        return False
    except ConnectionResetError:
        conn.end = "a connection reset"
        return False
    if not chunk:
        conn.end = "EOF"
        return False
    conn.buf += chunk
    return True


def expect_closed_clean(conn, what, allow_reset, shown):
    """After reading to the end: nothing more than what was expected came, and the server closed with a FIN (or a
    reset, when allowed). `shown`: how many stray bytes the message quotes."""
    if conn.buf:
        raise Failure(f"{what}: expected the connection closed, got {len(conn.buf)} more bytes "
                      f"{bytes(conn.buf[:shown])!r}")
    if not conn.end:
        raise Failure(f"{what}: expected the server to close, the connection was left open")
    if conn.end != "EOF" and not allow_reset:
        raise Failure(f"{what}: expected a clean close (FIN), got {conn.end}")


class HttpConn:
    """One client connection with its own receive buffer, so kept-alive and pipelined responses
    are parsed from exactly the bytes the server sent (no http.client)."""

    def __init__(self, t, deadline=None):
        self.sock = connect(t, deadline)
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


# ---------------------------------------------------------------- echo checks

ECHO_WRITE_MAX = 64 * 1024      # the largest single write of a streaming client
ECHO_LARGE = 4 << 20            # streamed in writes of random sizes while reading
ECHO_CLOSING = 2 << 20          # the client that close()s instead of half-closing
ECHO_CONCURRENT = 64 * 1024     # each of the 50 concurrent clients


def first_difference(a, b):
    """The first offset where a and b differ (the shorter length if one begins the other)."""
    n = min(len(a), len(b))
    for i in range(0, n, 4096):
        if a[i:i + 4096] != b[i:i + 4096]:
            return next(j for j in range(i, min(i + 4096, n)) if a[j] != b[j])
    return n


def expect_echo(sent, got, what):
    """`got` must be `sent` byte for byte, or while the echo is still coming, its beginning."""
    if len(got) > len(sent):
        raise Failure(f"{what}: expected at most the {len(sent)} bytes sent back, got {len(got)}")
    if got != sent[:len(got)]:
        i = first_difference(sent, got)
        raise Failure(f"{what}: expected byte {i} echoed as {sent[i]:#04x}, got {got[i]:#04x} "
                      f"({len(got)} of {len(sent)} bytes back)")


def expect_open(s, what, seconds=2 * QUIET_TIME):
    """Neither a byte nor a close (EOF or reset) for `seconds`: the server waits for the client."""
    readable, _, _ = select.select([s], [], [], seconds)
    if not readable:
        return
    try:
        peek = s.recv(1 << 16, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        got = f"{len(peek)} bytes beyond the echo" if peek else "EOF (the server closed first)"
    except BlockingIOError:
        return
    except ConnectionResetError:
        got = "a connection reset"
    raise Failure(f"{what}: expected the connection open and quiet for {seconds:.1f} s, got {got}")


def echo_pump(s, payload, deadline, rng, what):
    """Write `payload` in writes of random sizes up to 64 KiB while reading whatever comes back,
    with select on a non-blocking socket so that neither side's buffers fill up and deadlock.
    Returns the bytes echoed by the time the last write was taken (checked against the payload)."""
    data, got, sent = memoryview(payload), bytearray(), 0
    s.setblocking(False)
    while sent < len(data):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Failure(f"{what}: expected the echo to keep pace, got {len(got)} bytes back of "
                          f"{sent} sent and no progress within the deadline")
        readable, writable, _ = select.select([s], [s], [], remaining)
        if readable:
            try:
                chunk = s.recv(1 << 16)
            except BlockingIOError:
                chunk = None
            except ConnectionResetError:
                raise Failure(f"{what}: expected the echo, got a connection reset after {len(got)} "
                              f"bytes back ({sent} of {len(data)} sent, no half-close yet)") from None
            if chunk == b"":
                raise Failure(f"{what}: expected the connection open until our half-close, got EOF "
                              f"after {len(got)} bytes back ({sent} of {len(data)} sent)")
            if chunk:
                got += chunk
        if writable:
            try:
                sent += s.send(data[sent:sent + rng.randint(1, ECHO_WRITE_MAX)])
            except BlockingIOError:
                pass
            except (BrokenPipeError, ConnectionResetError) as e:
                raise Failure(f"{what}: expected to write all {len(data)} bytes, got {e!r} after "
                              f"{sent} ({len(got)} back, no half-close yet)") from None
    expect_echo(payload, got, what)
    return bytes(got)


def echo_session(t, payload, deadline, rng=None, what="echo"):
    """One connection: stream `payload` reading as it goes, half-close, the rest of it, then EOF."""
    rng = rng or random.Random()
    with connect(t, deadline) as s:
        got = echo_pump(s, payload, deadline, rng, what)
        half_close(s)
        got += recv_exact(s, len(payload) - len(got), deadline, f"{what}, the rest after our half-close")
        expect_echo(payload, got, what)
        expect_eof(s, min(deadline, deadline_in(IO_TIMEOUT)),
                   f"{what}, after the whole echo and our half-close")


def echo_still_answers(t):
    time.sleep(QUIET_TIME)
    try:
        echo_session(t, os.urandom(1000), deadline_in(IO_TIMEOUT), what="a 1000-byte echo")
    except Failure as e:
        raise Failure(f"server no longer serves a new connection: {e}") from None


def check_echo_small(t):
    deadline = deadline_in(IO_TIMEOUT)
    with connect(t, deadline) as s:            # each write echoed before the next
        for payload in (b"\x00", os.urandom(100)):
            what = f"echo of a {len(payload)}-byte write"
            s.sendall(payload)
            expect_echo(payload, recv_exact(s, len(payload), deadline, what), what)
        half_close(s)
        expect_eof(s, deadline, "after the echoes of 1 and 100 bytes and our half-close")
    with connect(t, deadline) as s:            # half-closed before anything is read
        one, hundred = b"\n", os.urandom(100)
        s.sendall(one)
        s.sendall(hundred)
        half_close(s)
        what = "echo of 1 + 100 bytes written before our half-close"
        expect_echo(one + hundred, recv_exact(s, 101, deadline, what), what)
        expect_eof(s, deadline, f"after the {what}")


def check_echo_large(t):
    seed = int.from_bytes(os.urandom(4), "big")
    echo_session(t, os.urandom(ECHO_LARGE), deadline_in(2 * IO_TIMEOUT), random.Random(seed),
                 f"{ECHO_LARGE >> 20} MiB in writes of 1..{ECHO_WRITE_MAX >> 10} KiB (seed {seed})")


def check_echo_waits_for_half_close(t):
    """Until the client half-closes, the server keeps the connection open however long it idles."""
    deadline = deadline_in(IO_TIMEOUT)
    with connect(t, deadline) as s:
        for i, n in enumerate((10, 1, 5000)):
            payload = os.urandom(n)
            what = f"echo of write {i + 1} ({n} bytes)"
            s.sendall(payload)
            expect_echo(payload, recv_exact(s, n, deadline, what), what)
            expect_open(s, f"after the {what}, before our half-close")
        half_close(s)
        expect_eof(s, deadline, "after our half-close")


def check_echo_half_close_idle(t):
    with connect(t) as s:
        half_close(s)
        expect_eof(s, deadline_in(CLOSE_TIMEOUT), "half-close without sending a byte")


def check_echo_close_loses_echo(t):
    """The classic mistake: a client that writes everything (reading as it goes) and then close()s
    has received fewer bytes than it sent; the same client half-closing receives all of them. The
    server meanwhile meets a client that vanished with echo pending, and must go on serving."""
    seed = int.from_bytes(os.urandom(4), "big")
    payload = os.urandom(ECHO_CLOSING)
    deadline = deadline_in(2 * IO_TIMEOUT)
    what = f"{ECHO_CLOSING >> 20} MiB reading as it goes, then close() (seed {seed})"
    with connect(t, deadline) as s:
        got = echo_pump(s, payload, deadline, random.Random(seed), what)
    if len(got) >= len(payload):
        raise Failure(f"{what}: expected fewer bytes back than the {len(payload)} sent, got all")
    echo_session(t, payload, deadline, random.Random(seed),
                 f"the same {ECHO_CLOSING >> 20} MiB, then a half-close instead (seed {seed})")


def check_echo_abort_survives(t):
    """Clients that vanish (RST) with echo pending must not take the server down (SIGPIPE)."""
    rng = random.Random()
    for _ in range(5):                           # mid-stream, reading as they go
        deadline = deadline_in(IO_TIMEOUT)
        s = connect(t, deadline)
        echo_pump(s, os.urandom(256 * 1024), deadline, rng, "256 KiB before an abort")
        abort(s)
    for _ in range(5):                           # without reading a byte
        s = connect(t)
        s.sendall(os.urandom(64 * 1024))
        abort(s)
    s = connect(t)                               # half-closed, then gone before the echo
    s.sendall(os.urandom(1000))
    half_close(s)
    abort(s)
    for _ in range(10):
        abort(connect(t))
    echo_still_answers(t)


def check_echo_concurrent(t):
    def client(i, deadline):
        echo_session(t, os.urandom(ECHO_CONCURRENT), deadline, random.Random(i),
                     f"{ECHO_CONCURRENT >> 10} KiB echo")

    run_concurrently(CLIENTS, client, CONCURRENT_TIMEOUT)


# ---------------------------------------------------------------- multiplex checks

FRAME_MAX = 16 * 1024                  # a frame carries 1 .. 16 KiB
FRAME_HEADER = struct.Struct(">II")    # [id][length]; a request is the same layout, [id][n]
U32_MAX = 0xFFFFFFFF


def mux_request(rid, n):
    return FRAME_HEADER.pack(rid, n)


def frame_runs(frames, limit=6):
    """'id 1 x3 (49152 bytes), id 2 x1 (16 bytes), ...': frames in arrival order, for a message."""
    runs = []
    for rid, length in frames:
        if runs and runs[-1][0] == rid:
            runs[-1][1] += 1
            runs[-1][2] += length
        else:
            runs.append([rid, 1, length])
    shown = ", ".join(f"id {r} x{k} ({b} bytes)" for r, k, b in runs[:limit])
    return shown + (f", ... ({len(runs)} runs in all)" if len(runs) > limit else "")


class MuxConn:
    """One multiplex connection with its own receive buffer. Every frame is checked as it is parsed
    against the answers still owed on the connection: an owed id, 1 .. 16 KiB of data, never past
    the id's n. Answers are recorded in the order they complete."""

    def __init__(self, t, deadline=None):
        self.sock = connect(t, deadline)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.owed = {}           # id -> (n, bytearray of the answer so far)
        self.completed = []      # (id, answer) in order of completion
        self.frames = []         # (id, length) of every whole frame, in arrival order
        self.end = None          # None while open, else "EOF" or "a connection reset"

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.sock.close()

    def send(self, data, deadline, owe=(), tolerate_close=False):
        """sendall with a deadline; `owe` lists the (id, n) of the valid requests in `data`."""
        for rid, n in owe:
            assert rid not in self.owed, f"id {rid} is already owed"
            self.owed[rid] = (n, bytearray())
        self.sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            if not tolerate_close:
                raise

    def request(self, pairs, deadline):
        """Send the requests (id, n) in one send."""
        self.send(b"".join(mux_request(rid, n) for rid, n in pairs), deadline, owe=pairs)

    def _fill(self, deadline, what):
        if not fill(self, deadline):
            return False
        self._parse(what)
        return True

    def _parse(self, what):
        while len(self.buf) >= FRAME_HEADER.size:
            rid, length = FRAME_HEADER.unpack_from(self.buf)
            if not 1 <= length <= FRAME_MAX:
                raise Failure(f"{what}: expected frame lengths 1..{FRAME_MAX}, got a frame of "
                              f"{length} bytes for id {rid}")
            if rid not in self.owed:
                done = " (its answer already complete)" if rid in dict(self.completed) else ""
                raise Failure(f"{what}: expected frames only for the ids owed "
                              f"{sorted(self.owed)}, got a {length}-byte frame for id {rid}{done}")
            n, answer = self.owed[rid]
            if len(answer) + length > n:
                raise Failure(f"{what}: expected the frames of id {rid} to sum to n = {n}, got "
                              f"{len(answer) + length} (a {length}-byte frame after {len(answer)})")
            if len(self.buf) < FRAME_HEADER.size + length:
                return
            answer += self.buf[FRAME_HEADER.size:FRAME_HEADER.size + length]
            del self.buf[:FRAME_HEADER.size + length]
            self.frames.append((rid, length))
            if len(answer) == n:
                del self.owed[rid]
                self.completed.append((rid, bytes(answer)))

    def _then(self):
        return self.end or "nothing more within the deadline"

    def owed_shown(self):
        return ", ".join(f"id {rid} {len(a)} of {n}" for rid, (n, a) in sorted(self.owed.items()))

    def read_all(self, deadline, what):
        """Until every owed answer is complete."""
        while self.owed:
            if not self._fill(deadline, what):
                raise Failure(f"{what}: expected every answer complete, got {self.owed_shown()} "
                              f"bytes then {self._then()}")

    def expect_eof(self, deadline, what, allow_reset=False):
        while self._fill(deadline, what):
            pass
        if self.owed:
            raise Failure(f"{what}: expected every answer before the close, got {self.owed_shown()} "
                          f"bytes then {self._then()}")
        expect_closed_clean(self, what, allow_reset, shown=16)

    def read_until_closed(self, deadline, what):
        """The server must close (EOF or reset) by the deadline. Frames that come first must be
        right for the owed ids; they need not be complete, and a frame cut by the close is allowed."""
        while self._fill(deadline, what):
            pass
        if not self.end:
            raise Failure(f"{what}: expected the server to close at once (within "
                          f"{CLOSE_TIMEOUT:.0f} s), the connection was left open")

    def finish(self, deadline, what):
        """Half-close and require EOF with no further frames."""
        half_close(self.sock)
        self.expect_eof(min(deadline, deadline_in(IO_TIMEOUT)), f"{what}, after our half-close")

    def expect_silence(self, what):
        if self.buf:
            raise Failure(f"{what}: expected no frame yet, got {len(self.buf)} bytes")
        expect_silence(self.sock, what)


def shown_pairs(pairs):
    return ", ".join(f"id {rid} n={n}" for rid, n in pairs)


def mux_session(t, batches, deadline, what="multiplex"):
    """On one connection, each batch of (id, n) requests in one send and answered completely before
    the next; then a half-close and EOF. Returns [(id, answer)] in order of completion."""
    with MuxConn(t, deadline) as c:
        for batch in batches:
            c.request(batch, deadline)
            c.read_all(deadline, f"{what}: {shown_pairs(batch)}")
        c.finish(deadline, what)
    return c.completed


def mux_still_answers(t):
    time.sleep(QUIET_TIME)
    try:
        mux_session(t, [[(5, 16), (6, 1)]], deadline_in(IO_TIMEOUT))
    except Failure as e:
        raise Failure(f"server no longer serves a new connection: {e}") from None


def check_multiplex_one(t):
    mux_session(t, [[(42, min(16, t.max))]], deadline_in(IO_TIMEOUT))


def check_multiplex_sizes(t):
    """Sizes around the frame limit and max, one at a time on one connection; ids at the u32 edges."""
    sizes = sizes_up_to_max(t, [1, 16, FRAME_MAX, FRAME_MAX + 1, 65536, t.max])
    ids = [0, U32_MAX, 0x80000000, 1, 0x12345678, 65536]
    mux_session(t, [[pair] for pair in zip(ids, sizes)], deadline_in(IO_TIMEOUT), "one at a time")


def check_multiplex_frame_lengths(t):
    """Every parse checks 1 <= length <= 16 KiB; these sizes make a server split and pad at the edge."""
    sizes = sizes_up_to_max(t, [FRAME_MAX - 1, FRAME_MAX, FRAME_MAX + 1, 2 * FRAME_MAX + 5, t.max])
    deadline = deadline_in(IO_TIMEOUT)
    with MuxConn(t, deadline) as c:
        pairs = list(enumerate(sizes, start=20))
        c.request(pairs, deadline)
        c.read_all(deadline, shown_pairs(pairs))
        for rid, n in pairs:
            count = sum(1 for r, _ in c.frames if r == rid)
            if count < -(-n // FRAME_MAX):
                raise Failure(f"id {rid} n={n}: expected at least {-(-n // FRAME_MAX)} frames of "
                              f"at most {FRAME_MAX} bytes, got {count}")
        c.finish(deadline, shown_pairs(pairs))


def check_multiplex_pipelined(t):
    pairs = [(7, min(100, t.max)), (1000000, min(20000, t.max)), (3, 1)]
    deadline = deadline_in(IO_TIMEOUT)
    with MuxConn(t, deadline) as c:
        c.request(pairs, deadline)
        c.read_all(deadline, f"pipelined in one send: {shown_pairs(pairs)}")
        c.finish(deadline, "pipelined")


def check_multiplex_head_of_line(t):
    """A 16-byte answer requested right behind a max one (same send) completes first; two max
    answers requested together are interleaved (each begins before the other completes). With
    --max <= 16 KiB a whole answer is one frame and the order shows nothing: only answers count."""
    deadline = deadline_in(IO_TIMEOUT)
    with MuxConn(t, deadline) as c:
        c.request([(1, t.max), (2, 16)], deadline)
        c.read_all(deadline, f"id 1 n={t.max} and id 2 n=16 in one send")
        order = [rid for rid, _ in c.completed]
        if t.max > FRAME_MAX and order != [2, 1]:
            raise Failure(f"expected id 2 (16 bytes) complete before id 1 ({t.max} bytes, requested "
                          f"just before it in the same send), got id 1 first; frames in arrival "
                          f"order: {frame_runs(c.frames)}")
        start = len(c.frames)
        c.request([(3, t.max), (4, t.max)], deadline)
        c.read_all(deadline, f"id 3 and id 4, n={t.max} each, in one send")
        frames = c.frames[start:]
        first = {rid: next(i for i, f in enumerate(frames) if f[0] == rid) for rid in (3, 4)}
        last = {rid: max(i for i, f in enumerate(frames) if f[0] == rid) for rid in (3, 4)}
        if t.max > FRAME_MAX and (first[3] > last[4] or first[4] > last[3]):
            raise Failure(f"expected the frames of two {t.max}-byte answers requested together "
                          f"interleaved, got one after the other: {frame_runs(frames)}")
        c.finish(deadline, "head of line")


def check_multiplex_split_header(t):
    rid, n = 0x01020304, min(300, t.max)
    data = mux_request(rid, n)
    deadline = deadline_in(IO_TIMEOUT)
    with MuxConn(t, deadline) as c:
        for i, byte in enumerate(data):
            if i:
                c.expect_silence(f"after {i} of 8 request bytes")
            c.send(bytes([byte]), deadline, owe=[(rid, n)] if i == len(data) - 1 else ())
        c.read_all(deadline, f"id {rid:#x} n={n} sent one byte at a time")
        c.finish(deadline, "split request")


def check_multiplex_straddling_header(t):
    first, second = (5, 5), (6, 7)
    deadline = deadline_in(IO_TIMEOUT)
    with MuxConn(t, deadline) as c:
        c.send(mux_request(*first) + mux_request(*second)[:5], deadline, owe=[first])
        c.read_all(deadline, "id 5 n=5")
        c.expect_silence("with 5 of 8 bytes of the next request sent")
        c.send(mux_request(*second)[5:], deadline, owe=[second])
        c.read_all(deadline, "id 6 n=7 whose request straddles two sends")
        c.finish(deadline, "straddling request")


def check_multiplex_half_close_outstanding(t):
    sizes = sizes_up_to_max(t, [t.max, 1, 65536, 16])
    pairs = list(enumerate(sizes, start=100))
    deadline = deadline_in(IO_TIMEOUT)
    with MuxConn(t, deadline) as c:
        c.request(pairs, deadline)
        half_close(c.sock)
        c.read_all(deadline, f"{shown_pairs(pairs)} sent before our half-close")
        c.expect_eof(deadline, "after the outstanding answers")


def check_multiplex_half_close_partial(t):
    with MuxConn(t) as c:
        c.send(mux_request(9, 16)[:3], deadline_in(IO_TIMEOUT))
        half_close(c.sock)
        c.expect_eof(deadline_in(CLOSE_TIMEOUT), "half-close after 3 of 8 request bytes",
                     allow_reset=True)
    deadline = deadline_in(IO_TIMEOUT)
    with MuxConn(t, deadline) as c:
        c.send(mux_request(1, 16) + mux_request(2, 16)[:5], deadline, owe=[(1, 16)])
        half_close(c.sock)
        c.read_all(deadline, "the whole request before an incomplete one")
        c.expect_eof(deadline_in(CLOSE_TIMEOUT), "after a half-close inside a request",
                     allow_reset=True)


def check_multiplex_half_close_idle(t):
    with MuxConn(t) as c:
        half_close(c.sock)
        c.expect_eof(deadline_in(CLOSE_TIMEOUT), "half-close without any request")


def expect_mux_closed_for(t, n, before=()):
    """A request with n outside 1..max: the server closes at once while our side stays open. No
    frame for it; frames for the valid requests `before` it may come, and must be right if they do."""
    what = f"id 99 n={n}" + (f" after {shown_pairs(before)}" if before else "")
    with MuxConn(t) as c:
        c.send(b"".join(mux_request(*p) for p in before) + mux_request(99, n),
               deadline_in(IO_TIMEOUT), owe=before, tolerate_close=True)
        c.read_until_closed(deadline_in(CLOSE_TIMEOUT), what)


def check_multiplex_zero(t):
    expect_mux_closed_for(t, 0)
    expect_mux_closed_for(t, 0, before=[(1, 16)])
    mux_still_answers(t)


def check_multiplex_over_max(t):
    expect_mux_closed_for(t, t.max + 1)
    expect_mux_closed_for(t, t.max + 1, before=[(1, t.max)])
    mux_still_answers(t)


def check_multiplex_huge(t):
    for n in (0x80000000, U32_MAX):    # sign and overflow traps
        expect_mux_closed_for(t, n)
    mux_still_answers(t)


def check_multiplex_garbage_survives(t):
    send_garbage(t)
    s = connect(t)
    s.sendall(mux_request(1, 16) + GARBAGE)
    s.close()
    mux_still_answers(t)


def check_multiplex_abort_survives(t):
    """Clients that vanish (RST) with frames owed must not take the server down (SIGPIPE)."""
    for _ in range(10):
        s = connect(t)
        s.sendall(mux_request(1, t.max) + mux_request(2, t.max) + mux_request(3, 1))
        abort(s)
    s = connect(t)
    s.sendall(mux_request(1, t.max))
    s.close()
    s = connect(t)
    s.sendall(mux_request(1, t.max))
    half_close(s)
    abort(s)
    s = connect(t)
    s.sendall(mux_request(1, 16)[:5])
    abort(s)
    for _ in range(10):
        abort(connect(t))
    mux_still_answers(t)


def check_multiplex_random(t):
    (_, a), (_, b) = sorted(mux_session(t, [[(1, 64), (2, 64)]], deadline_in(IO_TIMEOUT)))
    ((_, c),) = mux_session(t, [[(1, 64)]], deadline_in(IO_TIMEOUT))
    if not all_distinct([a, b, c]):
        raise Failure("expected three different 64-byte answers (two on one connection, one on "
                      f"another), got {a.hex()[:16]}.. {b.hex()[:16]}.. {c.hex()[:16]}..")
    ((_, big),) = mux_session(t, [[(1, t.max)]], deadline_in(IO_TIMEOUT))
    if not looks_random(big):
        raise Failure(f"expected an n={t.max} answer without constant or zero-filled 4 KiB blocks")


def check_multiplex_concurrent(t):
    base = sizes_up_to_max(t, [1, 16, 1000, FRAME_MAX + 1, 65536])

    def client(i, deadline):
        k = i % len(base)
        pairs = [(i * 1000 + j, n) for j, n in enumerate(base[k:] + base[:k])]
        mux_session(t, [pairs], deadline, "5 multiplexed requests")

    run_concurrently(CLIENTS, client, CONCURRENT_TIMEOUT)


CHECKS = {
    "greeting": [
        ("greeting_frame", check_greeting_frame),
        ("greeting_random", check_greeting_random),
        ("greeting_concurrent_50", check_greeting_concurrent),
        ("greeting_abort_survives", check_greeting_abort_survives),
    ],
    "request": [
        ("request_sizes_keepalive", check_request_sizes),
        ("request_pipelined", check_request_pipelined),
        ("request_split_header", check_request_split_header),
        ("request_straddling_header", check_request_straddling_header),
        ("request_half_close_outstanding", check_request_half_close_outstanding),
        ("request_half_close_partial_header", check_request_half_close_partial),
        ("request_half_close_idle", check_request_half_close_idle),
        ("request_zero_closes", check_request_zero),
        ("request_over_max_closes", check_request_over_max),
        ("request_huge_closes", check_request_huge),
        ("request_garbage_survives", check_request_garbage_survives),
        ("request_abort_survives", check_request_abort_survives),
        ("request_random", check_request_random),
        ("request_concurrent_50x5", check_request_concurrent),
    ],
    "http": [
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
    ],
    "echo": [
        ("echo_small", check_echo_small),
        ("echo_4mib_random_writes", check_echo_large),
        ("echo_waits_for_half_close", check_echo_waits_for_half_close),
        ("echo_half_close_idle", check_echo_half_close_idle),
        ("echo_close_loses_half_close_keeps", check_echo_close_loses_echo),
        ("echo_abort_survives", check_echo_abort_survives),
        ("echo_concurrent_50x64k", check_echo_concurrent),
    ],
    "multiplex": [
        ("multiplex_one_request", check_multiplex_one),
        ("multiplex_sizes_keepalive", check_multiplex_sizes),
        ("multiplex_frame_lengths", check_multiplex_frame_lengths),
        ("multiplex_pipelined_ids", check_multiplex_pipelined),
        ("multiplex_head_of_line", check_multiplex_head_of_line),
        ("multiplex_split_header", check_multiplex_split_header),
        ("multiplex_straddling_header", check_multiplex_straddling_header),
        ("multiplex_half_close_outstanding", check_multiplex_half_close_outstanding),
        ("multiplex_half_close_partial_header", check_multiplex_half_close_partial),
        ("multiplex_half_close_idle", check_multiplex_half_close_idle),
        ("multiplex_zero_closes", check_multiplex_zero),
        ("multiplex_over_max_closes", check_multiplex_over_max),
        ("multiplex_huge_closes", check_multiplex_huge),
        ("multiplex_garbage_survives", check_multiplex_garbage_survives),
        ("multiplex_abort_survives", check_multiplex_abort_survives),
        ("multiplex_random", check_multiplex_random),
        ("multiplex_concurrent_50x5", check_multiplex_concurrent),
    ],
}
SLOW_CHECKS = {check_http_slowloris}


# ---------------------------------------------------------------- spawned server

class Spawned:
    """A server command run as a child: learn its port from the ready line, stop it with SIGTERM."""

    def __init__(self, command):
        self.model = None
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(shlex.split(command), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self.stderr)

    def ready_line(self, protocol):
        """Returns the port, or raises Failure."""
        line = self._first_line(deadline_in(READY_TIMEOUT))
        threading.Thread(target=self._drain, daemon=True).start()
        m = READY_LINE.match(line)
        if not m:
            raise Failure("expected 'listening HOST:PORT model=MODEL protocol=PROTOCOL', "
                          f"got {line!r}")
        port = int(m.group(2))
        if not 0 < port < 65536:
            raise Failure(f"expected a bound port in 1..65535, got {port}")
        if m.group(4) != protocol:
            raise Failure(f"expected protocol={protocol}, got protocol={m.group(4)}")
        self.model = m.group(3)
        return port

    def _first_line(self, deadline):
        fd, buf = self.proc.stdout.fileno(), b""
        while b"\n" not in buf:
            remaining = deadline - time.monotonic()
            readable, _, _ = select.select([fd], [], [], max(0.0, remaining))
            if not readable:
                raise Failure(f"expected a ready line on stdout within {READY_TIMEOUT:.0f} s, "
                              f"got {buf!r}{self._stderr_tail()}")
            chunk = os.read(fd, 4096)
            if not chunk:
                raise Failure(f"expected a ready line, got {buf!r} then the server exited with "
                              f"{self.proc.wait(timeout=EXIT_TIMEOUT)}{self._stderr_tail()}")
            buf += chunk
        return buf.split(b"\n", 1)[0].decode(errors="replace").rstrip("\r")

    def _drain(self):
        """Keep reading stdout so a chatty server never blocks on a full pipe."""
        while os.read(self.proc.stdout.fileno(), 65536):
            pass

    def _stderr_tail(self):
        self.stderr.seek(0)
        tail = self.stderr.read()[-400:].decode(errors="replace").strip()
        return f" (stderr: ...{tail})" if tail else ""

    def stop(self):
        """SIGTERM; requires exit status 0 within EXIT_TIMEOUT, else kill -9 and raise Failure."""
        early = self.proc.poll()
        if early is not None:
            raise Failure(f"expected the server to run until SIGTERM, it had exited with {early}"
                          f"{self._stderr_tail()}")
        self.proc.send_signal(signal.SIGTERM)
        try:
            status = self.proc.wait(timeout=EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Failure(f"expected exit within {EXIT_TIMEOUT:.0f} s of SIGTERM, "
                          "got none (killed with SIGKILL)") from None
        if status != 0:
            raise Failure(f"expected exit status 0 after SIGTERM, got {status}{self._stderr_tail()}")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


# ---------------------------------------------------------------- runner

class Report:
    def __init__(self):
        self.passed = self.failed = 0

    def run(self, name, fn, *args):
        """Run one check; returns its value, or None when it failed."""
        try:
            value = fn(*args)
        except Failure as e:
            return self._fail(name, str(e))
        except OSError as e:
            return self._fail(name, f"unexpected socket error {e!r}")
        self.passed += 1
        print(f"PASS {name}", flush=True)
        return value

    def _fail(self, name, message):
        self.failed += 1
        print(f"FAIL {name}: {message}", flush=True)
        return None

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 0 if self.failed == 0 and self.passed > 0 else 1


def parse_args(argv):
    p = argparse.ArgumentParser(description="Wire-protocol conformance checks (from DESIGN.md).")
    p.add_argument("--protocol", required=True, choices=sorted(CHECKS))
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", type=int, help="a server already listening on this port")
    where.add_argument("--spawn", metavar="CMD",
                       help="start this server command, read its 'listening HOST:PORT' line")
    p.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    p.add_argument("--max", type=int, default=DEFAULT_MAX, help="largest valid n (default 1 MiB)")
    p.add_argument("--read-timeout", type=float, default=5.0,
                   help="the server's read timeout in seconds, for http_slowloris_closed (default 5)")
    p.add_argument("--quick", action="store_true",
                   help="http: skip http_slowloris_closed (the one check that waits, read timeout + up to 3 s)")
    args = p.parse_args(argv)
    if not args.host.startswith("127.") and args.host not in ("::1", "localhost"):
        p.error("--host must be a loopback address")
    if not 1 <= args.max < 0x80000000:
        p.error("--max must be in 1..2^31-1")
    if not 0 < args.read_timeout <= 60:
        p.error("--read-timeout must be in (0, 60] seconds")
    return args


def main(argv):
    args = parse_args(argv)
    report = Report()
    server = Spawned(args.spawn) if args.spawn else None
    try:
        port = report.run("ready_line", server.ready_line, args.protocol) if server else args.port
        if port is not None:
            target = Target(args.host, port, args.max, args.read_timeout,
                            server.model if server else None)
            for name, check in CHECKS[args.protocol]:
                if args.quick and check in SLOW_CHECKS:
                    print(f"SKIP {name} (--quick)", flush=True)
                    continue
                report.run(name, check, target)
        if server:
            report.run("sigterm_exit_0", server.stop)
    finally:
        if server:
            server.kill()
    return report.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
