"""What the checks of every protocol share: the greeting frame's constants, the target, socket helpers
that each take a deadline, concurrent clients, the few pieces several protocols use (garbage
senders, sizes capped at the server's max, a receive buffer's fill and its clean close), and TLS
under `--tls` (TLSSocket: what the checks do to a socket, done over TLS)."""

import select
import socket
import ssl
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
    tls: ssl.SSLContext | None = None   # --tls: every connection speaks TLS through this context


# ---------------------------------------------------------------- socket helpers

def deadline_in(seconds):
    return time.monotonic() + seconds


def connect(t, deadline=None, session=None):
    """A connection to the target; under --tls with its handshake done (offering `session`, a TLS
    session of an earlier connection, for resumption)."""
    timeout = IO_TIMEOUT if deadline is None else max(0.1, deadline - time.monotonic())
    try:
        sock = socket.create_connection((t.host, t.port), timeout=timeout)
    except OSError as e:
        raise Failure(f"expected a connection to {t.host}:{t.port}, got {e!r}") from None
    if t.tls is None:
        return sock
    try:
        return TLSSocket(sock, t.tls, session, deadline_in(timeout))
    except (OSError, ssl.SSLError) as e:
        sock.close()
        raise Failure(f"expected a TLS handshake with {t.host}:{t.port}, got {e!r}") from None


def client_context(version=None, alpn=None):
    """--tls: TLS 1.2 and 1.3 (or `version` only), no certificate check (the servers' certificate is
    self-signed, made at start; wrk and h2load do not check it either), ALPN offered when given."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = version or ssl.TLSVersion.TLSv1_2
    context.maximum_version = version or ssl.TLSVersion.TLSv1_3
    if alpn:
        context.set_alpn_protocols(alpn)
    return context


class TLSTruncated(ConnectionResetError):
    """The TCP stream ended without close_notify: the client cannot tell it from a cut, so the checks
    take it as they take a reset (accepted where a reset is, such as a server's timeout)."""


class TLSSocket:
    """TLS over a connected TCP socket, with the socket interface the checks use (recv with
    MSG_PEEK/MSG_DONTWAIT, send, sendall, timeouts, non-blocking, shutdown(SHUT_WR), setsockopt,
    close, fileno for select), so that every check runs over TLS unchanged.

    Memory BIOs (ssl.SSLObject), not ssl.SSLSocket: SSLSocket.unwrap() calls SSL_shutdown a second
    time to wait for the server's close_notify, and OpenSSL discards the application data it reads
    meanwhile, which would eat echo's bytes after our half-close. Here the half-close sends
    close_notify once, and reading goes on until the server's close_notify.

    Ends as a check sees them: the server's close_notify is EOF (b""); a TCP reset is
    ConnectionResetError; a TCP EOF without close_notify (a truncation an attacker could make) is
    TLSTruncated, a ConnectionResetError too: accepted where a reset is, never as a clean close."""

    RECORD = 1 << 15    # more than a record's plaintext: every read takes whole records

    def __init__(self, sock, context, session, deadline):
        self.raw = sock
        self.timeout = sock.gettimeout()
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, session=session)
        self.plain = bytearray()        # decrypted, not taken yet
        self.unsent = bytearray()       # encrypted, not on the wire yet
        self.raw_end = None             # None, "EOF" or "reset": what the TCP stream said last
        self.end = None                 # None, "close_notify" or "truncated": what TLS said last
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush(deadline)
                if self.raw_end:
                    raise ConnectionResetError(f"the server ended the handshake with a TCP {self.raw_end}")
                self._read_raw(deadline)
        self._flush(deadline)

    # -------- what ssl.SSLSocket offers beyond a socket, for the TLS checks

    @property
    def session(self):
        return self.tls.session

    @property
    def session_reused(self):
        return self.tls.session_reused

    def version(self):
        return self.tls.version()

    def selected_alpn_protocol(self):
        return self.tls.selected_alpn_protocol()

    # -------- the socket interface

    def fileno(self):
        return self.raw.fileno()

    def settimeout(self, seconds):
        self.timeout = seconds

    def gettimeout(self):
        return self.timeout

    def setblocking(self, flag):
        self.timeout = None if flag else 0.0

    def setsockopt(self, *args):
        self.raw.setsockopt(*args)

    def close(self):
        self.raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()

    def recv(self, n, flags=0):
        deadline = self._deadline()
        nonblocking = bool(flags & socket.MSG_DONTWAIT) or self.timeout == 0
        # Records taken from the socket while writing (see _flush) are decrypted before it is read again.
        self._decrypt()
        while not self.plain and not self.end:
            if self.raw_end == "reset":
                raise ConnectionResetError("connection reset by the server")
            if self.raw_end == "EOF":
                self.end = "truncated"
                break
            self._read_raw(deadline, nonblocking)
            self._decrypt()
        data = bytes(self.plain[:n])
        if not flags & socket.MSG_PEEK:
            del self.plain[:n]
        if data or self.end == "close_notify":
            return data
        raise TLSTruncated("TCP EOF without close_notify (a truncated TLS stream)")

    def send(self, data):
        """Takes up to 64 KiB; non-blocking, its ciphertext may wait for the next send or the
        half-close (BlockingIOError while some does)."""
        deadline = self._deadline()
        nonblocking = self.timeout == 0
        self._flush(deadline, nonblocking)
        if self.unsent:
            raise BlockingIOError("ciphertext of the last send still waits for the socket")
        taken = min(len(data), 1 << 16)
        self.tls.write(data[:taken])
        self._flush(deadline, nonblocking)
        return taken

    def sendall(self, data):
        deadline, data = self._deadline(), memoryview(data)
        for i in range(0, len(data), 1 << 16):
            self.tls.write(data[i:i + (1 << 16)])
            self._flush(deadline)

    def shutdown(self, how):
        """SHUT_WR: the ciphertext still owed, then close_notify, which is TLS's half-close."""
        deadline = deadline_in(IO_TIMEOUT if not self.timeout else self.timeout)
        self._flush(deadline)
        # Every whole record received is decrypted first: what SSL_shutdown would read it discards.
        self._decrypt()
        try:
            self.tls.unwrap()
        except ssl.SSLWantReadError:     # close_notify is out; the server's comes later, read as EOF
            pass
        except ssl.SSLError:
            if not self.raw_end:         # the server had already gone: nothing to tell it
                raise
        self._flush(deadline)
        if how == socket.SHUT_RDWR:
            self.raw.shutdown(socket.SHUT_RDWR)

    def wait_readable(self, seconds):
        """True once plaintext or an end (close_notify, TCP EOF or reset) is there to read, False
        after `seconds` without: what select says of a plain socket, for TLS (whose records may
        be partial, or a session ticket with no plaintext at all)."""
        deadline = deadline_in(seconds)
        self._decrypt()
        while not self.plain and not self.end and not self.raw_end:
            readable, _, _ = select.select([self.raw], [], [], max(0.0, deadline - time.monotonic()))
            if not readable:
                return False
            try:
                self._read_raw(None, nonblocking=True)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                return True
            self._decrypt()
        return True

    # -------- the record layer through memory BIOs

    def _deadline(self):
        return None if not self.timeout else deadline_in(self.timeout)

    def _arm(self, deadline, nonblocking):
        """The raw socket's timeout for one call: what is left of the wrapper's."""
        if nonblocking:
            self.raw.settimeout(0.0)
        elif deadline is None:
            self.raw.settimeout(None)
        elif (left := deadline - time.monotonic()) > 0:
            self.raw.settimeout(left)
        else:
            raise socket.timeout("timed out")

    def _read_raw(self, deadline, nonblocking=False):
        if self.raw_end:
            return
        self._arm(deadline, nonblocking)
        try:
            chunk = self.raw.recv(1 << 16)
        except ConnectionResetError:
            self.raw_end = "reset"
            raise
        if chunk:
            self.incoming.write(chunk)
        else:
            self.raw_end = "EOF"
            self.incoming.write_eof()

    def _decrypt(self):
        while not self.end:
            try:
                data = self.tls.read(self.RECORD)
            except ssl.SSLWantReadError:
                return
            except ssl.SSLZeroReturnError:
                data = b""
            except ssl.SSLError:
                if not self.raw_end:
                    raise
                self.end = "truncated"
                return
            if not data:
                self.end = "close_notify"
                return
            self.plain += data

    def _flush(self, deadline, nonblocking=False):
        """Writes the ciphertext owed; non-blocking, what the socket takes now."""
        self.unsent += self.outgoing.read()
        while self.unsent:
            if not nonblocking:
                # Waiting to write, what comes meanwhile is taken (kept for decryption): a server
                # blocked writing to us (an echo) would otherwise never read what we write.
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise socket.timeout("timed out")
                reading = [] if self.raw_end else [self.raw]
                readable, writable, _ = select.select(reading, [self.raw], [], left)
                if readable:
                    try:
                        self._read_raw(None, nonblocking=True)
                    except BlockingIOError:
                        pass
                if not writable:
                    continue
            self.raw.settimeout(0.0)
            try:
                sent = self.raw.send(self.unsent)
            except BlockingIOError:
                if nonblocking:
                    return
                continue
            del self.unsent[:sent]


def wait_readable(sock, seconds):
    """select for one socket, TLS or not: True once there is something to read (or an end)."""
    if isinstance(sock, TLSSocket):
        return sock.wait_readable(seconds)
    readable, _, _ = select.select([sock], [], [], seconds)
    return bool(readable)


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
    if wait_readable(sock, QUIET_TIME):
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
    except TLSTruncated:
        conn.end = "a TCP FIN without close_notify"
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
