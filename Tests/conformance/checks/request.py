"""request: 4-byte big-endian n answered by exactly n random bytes, kept alive and pipelined;
headers split across sends; half-closes; n = 0, max+1, 2^31, 2^32-1 close; garbage and aborting
clients do not kill the server; 50 concurrent clients."""

import time

from .common import (
    CLIENTS, CLOSE_TIMEOUT, CONCURRENT_TIMEOUT, Failure, IO_TIMEOUT, QUIET_TIME, abort,
    all_distinct, connect, deadline_in, expect_eof, expect_silence, half_close, header,
    looks_random, recv_exact, run_concurrently, send_garbage, sizes_up_to_max,
)


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


CHECKS = [
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
]
