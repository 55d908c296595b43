"""tls (under --tls, after the protocol's own checks, which have all run over TLS): ALPN http/1.1
for http and h2 for h2; a second connection offering the first one's session is resumed; plaintext and cut
handshakes do not kill the server."""

import os
import socket

from . import http, http2, multiplex, request
from .common import (
    GARBAGE, GREETING_LEN, IO_TIMEOUT, Failure, abort, deadline_in, connect, expect_eof, half_close,
    receive, recv_exact,
)


def greeting_answer(t, session, deadline):
    with connect(t, deadline, session) as s:
        data, how = receive(s, GREETING_LEN + 1, deadline)
        if len(data) != GREETING_LEN or how != "eof":
            raise Failure(f"expected the {GREETING_LEN}-byte greeting then EOF, got {len(data)} bytes then {how}")
        return s


def request_answer(t, session, deadline):
    with connect(t, deadline, session) as s:
        request.exchange(s, [16], deadline)
        request.finish(s, deadline)
        return s


def http_answer(t, session, deadline):
    with http.HttpConn(t, deadline, session) as c:
        c.send(http.http_request(path="/bytes/16"), deadline)
        http.expect_bytes(c.read_response(deadline, "GET /bytes/16"), 16, "GET /bytes/16")
        return c.sock


def echo_answer(t, session, deadline):
    with connect(t, deadline, session) as s:
        payload = os.urandom(16)
        s.sendall(payload)
        if recv_exact(s, 16, deadline, "echo of 16 bytes") != payload:
            raise Failure("expected the 16 bytes echoed as sent, got others")
        half_close(s)
        expect_eof(s, deadline, "after the echo and our half-close")
        return s


def multiplex_answer(t, session, deadline):
    with multiplex.MuxConn(t, deadline, session) as c:
        c.request([(1, 16)], deadline)
        c.read_all(deadline, "id 1 n = 16")
        c.finish(deadline, "id 1 n = 16")
        return c.sock


# One whole answer on a connection that then ends, per protocol: a TLS 1.3 session ticket comes after
# the handshake, so a session is only worth offering once something has been read after it.
ANSWER = {
    "greeting": greeting_answer,
    "request": request_answer,
    "http": http_answer,
    "echo": echo_answer,
    "multiplex": multiplex_answer,
    "h2": http2.answer,
}
# The name ALPN must agree on, for the protocols that have one.
ALPN = {"http": "http/1.1", "h2": "h2"}


def check_resumed(t, protocol):
    answer = ANSWER[protocol]
    first = answer(t, None, deadline_in(IO_TIMEOUT))
    if first.session_reused:
        raise Failure("expected a full handshake on a connection offering no session, got it resumed")
    if first.session is None or (first.version() == "TLSv1.3" and not first.session.has_ticket):
        raise Failure(f"expected a session ticket from the server ({first.version()}), got none")
    second = answer(t, first.session, deadline_in(IO_TIMEOUT))
    if not second.session_reused:
        raise Failure(f"expected the session of the first connection resumed ({second.version()}), "
                      "got a full handshake")


def check_alpn(t, protocol):
    with connect(t) as s:
        if s.selected_alpn_protocol() != ALPN[protocol]:
            raise Failure(f"expected ALPN {ALPN[protocol]} selected, got {s.selected_alpn_protocol()!r}")


def check_plaintext_and_cut_handshakes_survive(t, protocol):
    """Clients that do not speak TLS, or leave mid-handshake, end their connections only."""
    for cut in (GARBAGE, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"):   # plaintext; a ClientHello cut short
        for leave in (socket.socket.close, abort):
            s = socket.create_connection((t.host, t.port), timeout=IO_TIMEOUT)
            s.sendall(cut)
            leave(s)
    ANSWER[protocol](t, None, deadline_in(IO_TIMEOUT))


def checks(protocol):
    alpn = ALPN.get(protocol)
    return ([(f"tls_alpn_{alpn.replace('/', '').replace('.', '')}", lambda t: check_alpn(t, protocol))]
            if alpn else []) + [
        ("tls_session_resumed", lambda t: check_resumed(t, protocol)),
        ("tls_plaintext_and_cut_handshakes_survive",
         lambda t: check_plaintext_and_cut_handshakes_survive(t, protocol)),
    ]
