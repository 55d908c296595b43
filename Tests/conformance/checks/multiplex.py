"""multiplex: [id][n] requests answered by [id][length][bytes] frames of 1 .. 16 KiB, checked one by
one as they arrive (an owed id, never past the id's n); head of line; half-closes and bad sizes."""

import socket
import struct
import time

from .common import (
    CLIENTS, CLOSE_TIMEOUT, CONCURRENT_TIMEOUT, Failure, GARBAGE, IO_TIMEOUT, QUIET_TIME, abort,
    all_distinct, connect, deadline_in, expect_closed_clean, expect_silence, fill, half_close,
    looks_random, run_concurrently, send_garbage, sizes_up_to_max,
)


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

    def __init__(self, t, deadline=None, session=None):
        self.sock = connect(t, deadline, session)
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


CHECKS = [
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
]
