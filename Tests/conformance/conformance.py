#!/usr/bin/env python3
"""Protocol conformance client for the benchmark servers.

Written from shared/DESIGN.md ("The wire protocol") only, independently of the Swift code, so
that it does not share the implementers' misreadings. Python 3.11 standard library, loopback only.

    conformance.py --protocol greeting|request --port PORT [--host 127.0.0.1] [--max 1048576]
    conformance.py --protocol request --spawn ".build/release/bench serve --model event-loop \
        --protocol request --port 0"

Prints `PASS name` or `FAIL name: ...` per check, then `N passed, M failed`; exits 0 iff all pass.
"""

import argparse
import os
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


def check_request_garbage_survives(t):
    garbage = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n" + bytes(range(256))
    s = connect(t)
    s.sendall(garbage)
    s.close()
    s = connect(t)
    s.sendall(garbage)
    abort(s)
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
}


# ---------------------------------------------------------------- spawned server

class Spawned:
    """A server command run as a child: learn its port from the ready line, stop it with SIGTERM."""

    def __init__(self, command):
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
    args = p.parse_args(argv)
    if not args.host.startswith("127.") and args.host not in ("::1", "localhost"):
        p.error("--host must be a loopback address")
    if not 1 <= args.max < 0x80000000:
        p.error("--max must be in 1..2^31-1")
    return args


def main(argv):
    args = parse_args(argv)
    report = Report()
    server = Spawned(args.spawn) if args.spawn else None
    try:
        port = report.run("ready_line", server.ready_line, args.protocol) if server else args.port
        if port is not None:
            target = Target(args.host, port, args.max)
            for name, check in CHECKS[args.protocol]:
                report.run(name, check, target)
        if server:
            report.run("sigterm_exit_0", server.stop)
    finally:
        if server:
            server.kill()
    return report.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
