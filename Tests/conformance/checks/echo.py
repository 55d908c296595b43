"""echo: every byte back in order, the close only after the client's half-close; large streams read
as they are written; a close() loses the echo a half-close keeps."""

import os
import random
import select
import socket
import time

from .common import (
    CLIENTS, CLOSE_TIMEOUT, CONCURRENT_TIMEOUT, Failure, IO_TIMEOUT, QUIET_TIME, abort, connect,
    deadline_in, expect_eof, half_close, recv_exact, run_concurrently, wait_readable,
)


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
    if not wait_readable(s, seconds):
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


CHECKS = [
    ("echo_small", check_echo_small),
    ("echo_4mib_random_writes", check_echo_large),
    ("echo_waits_for_half_close", check_echo_waits_for_half_close),
    ("echo_half_close_idle", check_echo_half_close_idle),
    ("echo_close_loses_half_close_keeps", check_echo_close_loses_echo),
    ("echo_abort_survives", check_echo_abort_survives),
    ("echo_concurrent_50x64k", check_echo_concurrent),
]
