#!/usr/bin/env python3
"""Protocol conformance client for the benchmark servers.

Written from the protocols' definition (docs/PROTOCOL.md) only, independently of the Swift code, so that it does
not share the implementers' misreadings. Python 3.11 standard library (and, for h2, Python's `h2` package, an HTTP/2
stack apart from the servers' nghttp2), loopback only. The checks of each protocol
are in checks/PROTOCOL.py, what they share in checks/common.py; this file runs them.

    conformance.py --protocol greeting|request|http|echo|multiplex|h2 --port PORT [--host 127.0.0.1]
        [--max 1048576] [--read-timeout 5] [--quick] [--tls [--tls-version 1.2|1.3]]
    conformance.py --protocol request --spawn ".build/release/bench serve --model event-loop \
        --protocol request --port 0"
    conformance.py --protocol request --spawn ".build/release/refserver -p 0 -m ka"

Prints `PASS name` or `FAIL name: ...` per check, then `N passed, M failed`; exits 0 iff all pass.
--tls runs every check over TLS (a server started with `bench serve --tls`), then the checks of checks/tls.py.
"""

import argparse
import os
import re
import select
import shlex
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time

# The checks are imported from the source tree, which a run should leave as it found it: no __pycache__.
sys.dont_write_bytecode = True

from checks import echo, greeting, http, http2, multiplex, request, tls  # noqa: E402 - after the line above, on purpose
from checks.common import DEFAULT_MAX, Failure, Target, client_context, deadline_in  # noqa: E402

CHECKS = {
    "greeting": greeting.CHECKS,
    "request": request.CHECKS,
    "http": http.CHECKS,
    "echo": echo.CHECKS,
    "multiplex": multiplex.CHECKS,
    "h2": http2.CHECKS,
}
# What a client offers by ALPN under --tls, for the protocols that have a registered name.
ALPN = {"http": ["http/1.1"], "h2": ["h2"]}
SLOW_CHECKS = http.SLOW_CHECKS | http2.SLOW_CHECKS

READY_TIMEOUT = 10.0
EXIT_TIMEOUT = 10.0
READY_LINE = re.compile(r"^listening (\S+):(\d+) model=(\S+) protocol=(\S+)( tls=on)?$")
# The C reference server's ready line; its modes are the greeting and request protocols.
REFSERVER_LINE = re.compile(r"^refserver pid=\d+ listening (\S+):(\d+) mode=(oneshot|ka) backlog=\d+$")
REFSERVER_PROTOCOLS = {"oneshot": "greeting", "ka": "request"}


# ---------------------------------------------------------------- spawned server

class Spawned:
    """A server command run as a child: learn its port from the ready line, stop it with SIGTERM."""

    def __init__(self, command):
        self.model = None
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(shlex.split(command), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self.stderr)

    def ready_line(self, protocol, tls):
        """Returns the port, or raises Failure. `tls`: the line must say tls=on (and must not without)."""
        line = self._first_line(deadline_in(READY_TIMEOUT))
        threading.Thread(target=self._drain, daemon=True).start()
        if m := READY_LINE.match(line):
            port, model, said = int(m.group(2)), m.group(3), m.group(4)
            if bool(m.group(5)) != tls:
                raise Failure(f"expected a ready line {'with' if tls else 'without'} tls=on, got {line!r}")
        elif m := REFSERVER_LINE.match(line):
            port, model, said = int(m.group(2)), "refserver", REFSERVER_PROTOCOLS[m.group(3)]
        else:
            raise Failure("expected 'listening HOST:PORT model=MODEL protocol=PROTOCOL' (or refserver's "
                          f"'refserver pid=N listening HOST:PORT mode=MODE backlog=N'), got {line!r}")
        if not 0 < port < 65536:
            raise Failure(f"expected a bound port in 1..65535, got {port}")
        if said != protocol:
            raise Failure(f"expected protocol={protocol}, got protocol={said}")
        self.model = model
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
    p = argparse.ArgumentParser(description="Wire-protocol conformance checks (from docs/PROTOCOL.md).")
    p.add_argument("--protocol", required=True, choices=sorted(CHECKS))
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", type=int, help="a server already listening on this port")
    where.add_argument("--spawn", metavar="CMD",
                       help="start this server command, read its 'listening HOST:PORT' line")
    p.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    p.add_argument("--max", type=int, default=DEFAULT_MAX, help="largest valid n (default 1 MiB)")
    p.add_argument("--read-timeout", type=float, default=5.0,
                   help="the server's read timeout in seconds, for http_slowloris_closed (default 5)")
    p.add_argument("--tls", action="store_true",
                   help="speak TLS (no certificate check; ALPN http/1.1 for http, h2 for h2), then check resumption")
    p.add_argument("--tls-version", choices=["1.2", "1.3"], help="with --tls: offer this version only")
    p.add_argument("--quick", action="store_true",
                   help="http, h2: skip the slowloris check (the one that waits, read timeout + up to 3 s)")
    args = p.parse_args(argv)
    if not args.host.startswith("127.") and args.host not in ("::1", "localhost"):
        p.error("--host must be a loopback address")
    if not 1 <= args.max < 0x80000000:
        p.error("--max must be in 1..2^31-1")
    if not 0 < args.read_timeout <= 60:
        p.error("--read-timeout must be in (0, 60] seconds")
    if args.tls_version and not args.tls:
        p.error("--tls-version applies under --tls")
    return args


def main(argv):
    args = parse_args(argv)
    report = Report()
    server = Spawned(args.spawn) if args.spawn else None
    try:
        port = report.run("ready_line", server.ready_line, args.protocol, args.tls) if server else args.port
        if port is not None:
            context = None
            if args.tls:
                version = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}.get(args.tls_version)
                context = client_context(version, ALPN.get(args.protocol))
            target = Target(args.host, port, args.max, args.read_timeout,
                            server.model if server else None, context)
            checks = CHECKS[args.protocol] + (tls.checks(args.protocol) if args.tls else [])
            for name, check in checks:
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
