"""``servicedesk serve``: gunicorn in-process, with the app built by our
factory.  Without Redis the periodic jobs run on a thread of the (single)
web worker, so the embedded default needs no other process."""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from servicedesk.app import create_app
from servicedesk.masking import mask_identity_codes_in_url
from servicedesk.queueing import PeriodicRunner
from servicedesk.runtime import Runtime, freeze_startup_objects


class Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, runtime: Runtime, options: dict[str, Any]) -> None:
        self.runtime = runtime
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return create_app(self.runtime.settings, self.runtime)


class AccessLog(Logger):  # type: ignore[misc]
    """gunicorn's logger, with identity codes masked where the access log
    writes what people typed into an address: an agent searching for a
    code, a link followed from such a search."""

    TYPED = ("r", "U", "q", "f", "{referer}i")

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key in self.TYPED:
            if isinstance(atoms.get(key), str):
                atoms[key] = mask_identity_codes_in_url(atoms[key])
        return atoms


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)
MMAP_THRESHOLD = 1024 * 1024


def big_blocks_returned() -> bool:
    """Make glibc's malloc serve every block of 1 MiB or more by mmap, so
    that it goes back to the system when freed (what MALLOC_MMAP_THRESHOLD_
    does), in this process and the workers forked from it.

    By default the threshold rises to the size of the largest block freed:
    after the first sign-in, each password check's 19 MiB (argon2) came
    from the heap and stayed there, in as many arenas as threads had run
    checks.  Fifty agents signing in at once and browsing took a gthread
    worker to 264 MiB; with this, 146 MiB.  False where the C library is
    not glibc."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def run_server(runtime: Runtime, *, host: str, port: int, workers: int | None) -> None:
    inline = not runtime.settings.redis_url
    big_blocks_returned()
    if workers is None:
        workers = 1 if inline else multiprocessing.cpu_count() * 2 + 1

    def post_fork(_server: Any, _worker: Any) -> None:
        # Connections opened before the fork belong to the parent.
        runtime.db.engine.dispose(close=False)

    def post_worker_init(_worker: Any) -> None:
        freeze_startup_objects()
        if inline:
            PeriodicRunner(runtime.jobs).start()

    Server(
        runtime,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": 8,
            "timeout": 60,
            "graceful_timeout": 20,
            "accesslog": "-",
            "logger_class": AccessLog,
            "post_fork": post_fork,
            "post_worker_init": post_worker_init,
            "forwarded_allow_ips": "127.0.0.1",
        },
    ).run()
