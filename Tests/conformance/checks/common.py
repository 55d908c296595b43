"""What the checks of every protocol share: the greeting frame's constants, the target, socket helpers
that each take a deadline, concurrent clients, and the few pieces several protocols use (garbage
senders, sizes capped at the server's max, a receive buffer's fill and its clean close)."""

import select
import socket
import struct
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


def sizes_up_to_max(t, sizes):
    return list(dict.fromkeys(min(n, t.max) for n in sizes))


GARBAGE = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n" + bytes(range(256))


def send_garbage(t):
    """Garbage from one client that closes and one that resets."""
    s = connect(t)
    s.sendall(GARBAGE)
    s.close()
    s = connect(t)
    s.sendall(GARBAGE)
    abort(s)


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
