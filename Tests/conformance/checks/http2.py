"""h2: HTTP/2 with prior knowledge (h2c), spoken through Python's `h2` package (PyPI: h2), an HTTP/2 stack
written apart from nghttp2: the routes of http as streams, interleaving, flow control, the stream limit, the
client's GOAWAY, and a broken preface answered with GOAWAY."""

import socket
import struct
import time

from .common import (
    CLIENTS, CLOSE_TIMEOUT, CONCURRENT_TIMEOUT, GREETING_LEN, IO_TIMEOUT, PREFIX, QUIET_TIME, SUFFIX, Failure, abort,
    connect,
    deadline_in, looks_random, receive, run_concurrently, sizes_up_to_max, wait_readable,
)

try:
    import h2.config
    import h2.connection
    import h2.events
    import h2.settings
except ImportError:    # the checks say so when they run; the other protocols' checks need no h2
    h2 = None


class H2Conn:
    """One h2c connection through h2's state machine: streams by id with their status, fields, body and how they
    ended; the server's GOAWAY; the end of the stream. Received DATA is acknowledged (WINDOW_UPDATE) unless
    `hold_window`, so that a check can watch the server keep to a window it was given."""

    def __init__(self, t, deadline=None, session=None, window=None):
        if h2 is None:
            raise Failure("expected Python's h2 package (pip install h2), got none")
        self.sock = connect(t, deadline, session)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        if window is not None:   # in the preface's SETTINGS, so that it holds from the first stream on
            self.conn.local_settings = h2.settings.Settings(
                client=True, initial_values={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: window})
        self.conn.initiate_connection()
        self.hold_window = False
        self.streams = {}        # id -> {"status", "fields", "body", "ended", "reset"}
        self.completed = []      # ids in the order their answers ended
        self.goaway = None       # the server's GOAWAY error code
        self.end = None          # None while open, else "EOF" or "a connection reset"
        self.write_closed = False
        self.flush()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.sock.close()

    def flush(self):
        data = self.conn.data_to_send()
        if data and not self.write_closed:   # after a half-close, what h2 owes (ACKs, WINDOW_UPDATE) stays unsent
            self.sock.sendall(data)

    def half_close(self):
        self.write_closed = True
        self.sock.shutdown(socket.SHUT_WR)

    def get(self, path, method="GET"):
        sid = self.conn.get_next_available_stream_id()
        self.conn.send_headers(sid, [(":method", method), (":path", path), (":scheme", "http"),
                                     (":authority", "localhost")], end_stream=True)
        self.streams[sid] = {"status": None, "fields": {}, "body": bytearray(), "ended": False, "reset": None}
        self.flush()
        return sid

    def pump(self, deadline, done, what):
        """Reads and answers until `done()` holds; a Failure naming `what` at the deadline or the end of the stream."""
        while not done():
            if self.end:
                raise Failure(f"{what}: expected more, got {self.end}")
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not wait_readable(self.sock, remaining):
                raise Failure(f"{what}: expected more within the deadline, got nothing")
            self.read_once()

    def read_once(self):
        try:
            data = self.sock.recv(1 << 16)
        except ConnectionResetError:
            data, self.end = b"", "a connection reset"
        if not data:
            self.end = self.end or "EOF"
            return
        for event in self.conn.receive_data(data):
            self.on(event)
        self.flush()

    def on(self, event):
        stream = self.streams.get(getattr(event, "stream_id", None))
        if isinstance(event, h2.events.ResponseReceived):
            stream["fields"] = dict(event.headers)
            stream["status"] = int(stream["fields"][":status"])
        elif isinstance(event, h2.events.DataReceived):
            stream["body"] += event.data
            if not self.hold_window:
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            stream["ended"] = True
            self.completed.append(event.stream_id)
        elif isinstance(event, h2.events.StreamReset):
            stream["reset"] = event.error_code
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.goaway = event.error_code

    def answer(self, sid, deadline, what):
        self.pump(deadline, lambda: self.streams[sid]["ended"] or self.streams[sid]["reset"] is not None, what)
        stream = self.streams[sid]
        if stream["reset"] is not None:
            raise Failure(f"{what}: expected an answer, got RST_STREAM {stream['reset']}")
        return stream


def expect_status(stream, status, what, length=None, content_type=None):
    if stream["status"] != status:
        raise Failure(f"{what}: expected status {status}, got {stream['status']}")
    fields = stream["fields"]
    if length is not None and (fields.get("content-length") != str(length) or len(stream["body"]) != length):
        raise Failure(f"{what}: expected a body of {length} bytes said and sent, got content-length "
                      f"{fields.get('content-length')} and {len(stream['body'])} bytes")
    if content_type and fields.get("content-type") != content_type:
        raise Failure(f"{what}: expected content-type {content_type}, got {fields.get('content-type')}")
    if fields.get("server") != "bench" or "date" not in fields:
        raise Failure(f"{what}: expected server: bench and a date, got {sorted(fields)}")


def check_get_bytes(t):
    with H2Conn(t) as c:
        for n in sizes_up_to_max(t, [16, 70_000, 1]):
            stream = c.answer(c.get(f"/bytes/{n}"), deadline_in(IO_TIMEOUT), f"GET /bytes/{n}")
            expect_status(stream, 200, f"GET /bytes/{n}", n, "application/octet-stream")
            if not looks_random(bytes(stream["body"])):
                raise Failure(f"GET /bytes/{n}: expected random bytes, got a constant stretch")


def check_get_root(t):
    with H2Conn(t) as c:
        stream = c.answer(c.get("/"), deadline_in(IO_TIMEOUT), "GET /")
        expect_status(stream, 200, "GET /", GREETING_LEN, "text/plain")
        body = bytes(stream["body"])
        if not (body.startswith(PREFIX) and body.endswith(SUFFIX)):
            raise Failure("GET /: expected the greeting frame, got other bytes")


def check_head(t):
    with H2Conn(t) as c:
        stream = c.answer(c.get("/bytes/16", "HEAD"), deadline_in(IO_TIMEOUT), "HEAD /bytes/16")
        if stream["status"] != 200 or stream["fields"].get("content-length") != "16" or stream["body"]:
            raise Failure(f"HEAD /bytes/16: expected 200, content-length 16 and no body, got {stream['status']}, "
                          f"{stream['fields'].get('content-length')} and {len(stream['body'])} bytes")


def check_refusals(t):
    """404, 405 with allow, 413 and 400, each answered on a connection that goes on."""
    with H2Conn(t) as c:
        for path, method, status in [("/nope", "GET", 404), ("/bytes/16", "DELETE", 405),
                                     (f"/bytes/{t.max + 1}", "GET", 413), ("/bytes/12x", "GET", 400)]:
            what = f"{method} {path}"
            stream = c.answer(c.get(path, method), deadline_in(IO_TIMEOUT), what)
            if stream["status"] != status:
                raise Failure(f"{what}: expected {status}, got {stream['status']}")
            if status == 405 and stream["fields"].get("allow") != "GET, HEAD":
                raise Failure(f"{what}: expected allow: GET, HEAD, got {stream['fields'].get('allow')}")
        stream = c.answer(c.get("/bytes/16"), deadline_in(IO_TIMEOUT), "GET /bytes/16 after the refusals")
        expect_status(stream, 200, "GET /bytes/16 after the refusals", 16)


def check_stream_limit(t):
    with H2Conn(t) as c:
        c.pump(deadline_in(IO_TIMEOUT), lambda: c.conn.remote_settings.max_concurrent_streams < 2 ** 31,
               "the server's SETTINGS")
        if not 1 <= c.conn.remote_settings.max_concurrent_streams <= 100:
            raise Failure("expected SETTINGS_MAX_CONCURRENT_STREAMS of 1 to 100 (bench serve --max-streams), got "
                          f"{c.conn.remote_settings.max_concurrent_streams}")


def check_many_streams(t):
    """As many streams at once as the server allows, sizes all different, each answered whole."""
    with H2Conn(t) as c:
        c.pump(deadline_in(IO_TIMEOUT), lambda: c.conn.remote_settings.max_concurrent_streams < 2 ** 31,
               "the server's SETTINGS")
        count = min(c.conn.remote_settings.max_concurrent_streams, 100)
        sids = {c.get(f"/bytes/{n}"): n for n in sizes_up_to_max(t, range(1, count + 1))}
        deadline = deadline_in(IO_TIMEOUT)
        for sid, n in sids.items():
            expect_status(c.answer(sid, deadline, f"stream of /bytes/{n}"), 200, f"/bytes/{n}", n)


def check_interleaved(t):
    """A small answer asked after a large one ends first: streams interleave."""
    large = min(t.max, 1 << 20)
    if large < 256 * 1024:
        return
    with H2Conn(t) as c:
        big, small = c.get(f"/bytes/{large}"), c.get("/bytes/16")
        deadline = deadline_in(IO_TIMEOUT)
        c.answer(big, deadline, f"GET /bytes/{large}")
        c.answer(small, deadline, "GET /bytes/16")
        if c.completed.index(small) > c.completed.index(big):
            raise Failure(f"expected the 16 bytes whole before the {large}, got them after")


def check_flow_control(t):
    """With a stream window of 1,000 bytes and no WINDOW_UPDATE, the server sends 1,000 bytes of 5,000 and waits."""
    with H2Conn(t, window=1000) as c:
        c.hold_window = True
        sid = c.get("/bytes/5000")
        c.pump(deadline_in(IO_TIMEOUT), lambda: len(c.streams[sid]["body"]) >= 1000, "the first 1,000 bytes")
        if wait_readable(c.sock, QUIET_TIME):
            c.read_once()
        if len(c.streams[sid]["body"]) != 1000:
            raise Failure(f"expected 1,000 bytes within the window, got {len(c.streams[sid]['body'])}")
        c.hold_window = False
        c.conn.acknowledge_received_data(1000, sid)
        c.conn.increment_flow_control_window(4000, sid)
        c.flush()
        expect_status(c.answer(sid, deadline_in(IO_TIMEOUT), "the rest once the window opens"), 200,
                      "GET /bytes/5000", 5000)


def check_client_goaway_closes(t):
    """A client's GOAWAY after its request: the answer, then the server closes. (Written by hand: h2 reads nothing
    after its own GOAWAY.)"""
    with H2Conn(t) as c:
        sid = c.get("/bytes/16")
        c.sock.sendall(struct.pack(">I", 8)[1:] + bytes([7, 0]) + struct.pack(">III", 0, 0, 0))
        expect_status(c.answer(sid, deadline_in(IO_TIMEOUT), "GET /bytes/16 before our GOAWAY"), 200, "GET", 16)
        c.pump(deadline_in(IO_TIMEOUT), lambda: c.end is not None, "the close after our GOAWAY")
        if c.end != "EOF":
            raise Failure(f"expected the server to close after our GOAWAY, got {c.end}")


def check_bad_preface_goaway(t):
    """HTTP/1.1 where the preface belongs: SETTINGS, GOAWAY PROTOCOL_ERROR, then the close; the server goes on."""
    with connect(t) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        data, how = receive(s, 1 << 16, deadline_in(IO_TIMEOUT))
        frames, offset = [], 0
        while offset + 9 <= len(data):
            length, kind = int.from_bytes(data[offset:offset + 3], "big"), data[offset + 3]
            frames.append((kind, data[offset + 9:offset + 9 + length]))
            offset += 9 + length
        goaway = [payload for kind, payload in frames if kind == 7]
        if not goaway or struct.unpack(">II", goaway[-1][:8])[1] != 1 or how not in ("eof", "reset"):
            raise Failure(f"expected GOAWAY PROTOCOL_ERROR then the close, got frames {[k for k, _ in frames]} "
                          f"then {how}")
    check_get_bytes(t)


def check_abort_survives(t):
    c = H2Conn(t)
    c.get(f"/bytes/{min(t.max, 1 << 20)}")
    abort(c.sock)
    check_get_bytes(t)


def check_concurrent(t):
    def client(i, deadline):
        with H2Conn(t, deadline) as c:
            sids = {c.get(f"/bytes/{n}"): n for n in sizes_up_to_max(t, [i + 1, 100 + i, 5000 + i, 16, 1])}
            for sid, n in sids.items():
                expect_status(c.answer(sid, deadline, f"client {i} /bytes/{n}"), 200, f"/bytes/{n}", n)
    run_concurrently(CLIENTS, client, CONCURRENT_TIMEOUT)


def check_half_close(t):
    """A client that half-closes after its requests gets its answers, then the close (a GOAWAY before it may come)."""
    with H2Conn(t) as c:
        sid = c.get("/bytes/100")
        c.half_close()
        expect_status(c.answer(sid, deadline_in(IO_TIMEOUT), "GET /bytes/100 before our half-close"), 200, "GET", 100)
        c.pump(deadline_in(IO_TIMEOUT), lambda: c.end is not None, "the close after our half-close")
        if c.goaway not in (None, 0) or c.end != "EOF":
            raise Failure(f"expected EOF after our half-close, got GOAWAY {c.goaway} then {c.end}")


def check_slowloris(t):
    """The preface, SETTINGS and the first bytes of a HEADERS frame, then one byte a second: closed within read
    timeout + 3 s, however often a byte comes (a frame is a request begun)."""
    limit = t.read_timeout + 3.0
    start = time.monotonic()
    with connect(t) as s:
        headers = (b"\x00\x00\x0f\x01\x05\x00\x00\x00\x01\x82\x86\x04\x08/bytes/1\x01\x01t")
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00" + headers[:5])
        sent, next_send = 5, start + 1.0
        while True:
            now = time.monotonic()
            if now - start > limit:
                raise Failure(f"slow client (a HEADERS frame 1 byte/s, {sent} bytes so far): expected a close within "
                              f"{limit:.0f} s (read timeout {t.read_timeout:g} s + 3), still open")
            if now >= next_send and sent < len(headers) - 1:
                try:
                    s.sendall(headers[sent:sent + 1])
                except OSError:
                    return     # closed under us: what was asked
                sent, next_send = sent + 1, next_send + 1.0
            if wait_readable(s, max(0.05, min(next_send, start + limit) - now)):
                data, how = receive(s, 1 << 16, deadline_in(CLOSE_TIMEOUT))
                if how in ("eof", "reset"):
                    return     # the server's SETTINGS (and a GOAWAY) may come before the close


def answer(t, session, deadline):
    """One whole answer on a connection the client then ends (tls.py's resumption check)."""
    with H2Conn(t, deadline, session) as c:
        expect_status(c.answer(c.get("/bytes/16"), deadline, "GET /bytes/16"), 200, "GET /bytes/16", 16)
        return c.sock


CHECKS = [
    ("h2_get_bytes", check_get_bytes),
    ("h2_get_root_greeting", check_get_root),
    ("h2_head_no_body", check_head),
    ("h2_refusals_404_405_413_400", check_refusals),
    ("h2_settings_stream_limit", check_stream_limit),
    ("h2_many_streams", check_many_streams),
    ("h2_interleaved", check_interleaved),
    ("h2_flow_control", check_flow_control),
    ("h2_client_goaway_closes", check_client_goaway_closes),
    ("h2_half_close", check_half_close),
    ("h2_bad_preface_goaway", check_bad_preface_goaway),
    ("h2_abort_survives", check_abort_survives),
    ("h2_concurrent_50", check_concurrent),
    ("h2_slowloris_closed", check_slowloris),
]
SLOW_CHECKS = {check_slowloris}
