"""greeting: the 81-byte frame, exact prefix and suffix, then EOF; random over connections;
50 concurrent clients; clients that reset at once do not kill the server."""

import time

from .common import (
    CLIENTS, CONCURRENT_TIMEOUT, Failure, GREETING_LEN, IO_TIMEOUT, PREFIX, QUIET_TIME, SUFFIX,
    abort, all_distinct, connect, deadline_in, receive, run_concurrently,
)


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


CHECKS = [
    ("greeting_frame", check_greeting_frame),
    ("greeting_random", check_greeting_random),
    ("greeting_concurrent_50", check_greeting_concurrent),
    ("greeting_abort_survives", check_greeting_abort_survives),
]
