"""``servicedesk serve``: gunicorn in-process, with the app built by our
factory.  Without Redis the periodic jobs run on a thread of the (single)
web worker, so the embedded default needs no other process."""

from __future__ import annotations

import multiprocessing
from typing import Any

from gunicorn.app.base import BaseApplication

from servicedesk.app import create_app
from servicedesk.queueing import PeriodicRunner
from servicedesk.runtime import Runtime


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


def run_server(runtime: Runtime, *, host: str, port: int, workers: int | None) -> None:
    inline = not runtime.settings.redis_url
    if workers is None:
        workers = 1 if inline else multiprocessing.cpu_count() * 2 + 1

    def post_fork(_server: Any, _worker: Any) -> None:
        # Connections opened before the fork belong to the parent.
        runtime.db.engine.dispose(close=False)

    def post_worker_init(_worker: Any) -> None:
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
            "post_fork": post_fork,
            "post_worker_init": post_worker_init,
            "forwarded_allow_ips": "127.0.0.1",
        },
    ).run()
