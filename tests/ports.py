"""Ports for the servers the tests start (Dovecot, SMTP, gunicorn, the
live Flask server, the Twilio stand-in).

A port is probed by binding it and handed over free, to be bound again by
the server a moment later.  Probing with port 0 let the kernel choose from
its ephemeral range, which every outgoing connection of every test worker
draws from too: in that moment another pytest-xdist worker probing the
same way, or any client connection, could be given the same port.  Each
worker probes a range of its own below the ephemeral ports instead, going
round it, so a port handed out is not handed out again until the rest of
the range has been.
"""

from __future__ import annotations

import os
import random
import socket
import threading

FIRST = 20000  # below Linux's ephemeral ports (32768-60999 unless changed)
PER_WORKER = 1000
WORKERS = 12  # ranges up to 31999

_lock = threading.Lock()
_next: list[int] = []  # where this process goes on probing


def _worker_range() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    index = int(worker) % WORKERS if worker.isdigit() else 0
    start = FIRST + index * PER_WORKER
    return range(start, start + PER_WORKER)


def _is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port on 127.0.0.1 that is free now and that no other test worker
    or outgoing connection will take meanwhile."""
    ports = _worker_range()
    with _lock:
        if not _next:
            _next.append(random.randrange(len(ports)))
        for step in range(len(ports)):
            port = ports[(_next[0] + step) % len(ports)]
            if _is_free(port):
                _next[0] = (_next[0] + step + 1) % len(ports)
                return port
    raise RuntimeError(f"no free port in {ports[0]}-{ports[-1]}")
