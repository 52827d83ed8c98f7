"""Independent queries of one page, run beside the request's own work.

A console page that needs several independent figures (the dashboard's
reports, a desk page's counts) waits for each query in turn on the
request's session.  ``beside`` starts one on a session of its own in a
small pool of threads and hands back a ``Later``; the request goes on
with its own queries and takes the result when it draws the page, so it
waits for the slowest query rather than for their sum.

Where sessions cannot work side by side (SQLite, a test's transaction:
``Database.works_side_by_side``), or when every thread of the pool is
already busy (a busy moment, when a queued query would only wait longer),
the work runs on the request's session when its result is taken, exactly
as if it had been called there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from servicedesk.web import db, runtime

T = TypeVar("T")

# Connections of a web process that work beside the requests' own (each
# process's pool has 10 + 20 for its 8 threads).
BESIDE = 2

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_free = threading.BoundedSemaphore(BESIDE)


def _threads() -> ThreadPoolExecutor:
    """Made on first use: in each web process, never before gunicorn forks."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(BESIDE, thread_name_prefix="beside")
        return _pool


class Later(Generic[T]):
    """The result of ``work``, taken with ``result()`` (which raises what
    the work raised, a database failure included)."""

    def __init__(self, work: Callable[[Session], T], future: Future[T] | None) -> None:
        self._work = work
        self._future = future

    @property
    def in_request(self) -> bool:
        """Whether the work was left to the request (run when taken)."""
        return self._future is None

    def result(self) -> T:
        if self._future is None:
            return self._work(db())
        return self._future.result()


def results(laters: Sequence[Later[T]]) -> list[T]:
    """Each of ``laters``' results, in order: the work left to the request
    done first, while the others are still running beside it."""
    done = {i: later.result() for i, later in enumerate(laters) if later.in_request}
    return [done[i] if i in done else later.result() for i, later in enumerate(laters)]


def beside(work: Callable[[Session], T]) -> Later[T]:
    """Start ``work`` on a session of its own now, if it can be (see the
    module's docstring).  ``work`` gets only its session: whatever it needs
    of the request (the user, the time) is read before, in the request."""
    database = runtime().db
    if not database.works_side_by_side or not _free.acquire(blocking=False):
        return Later(work, None)

    def run() -> T:
        try:
            with database.session() as session:
                return work(session)
        finally:
            _free.release()

    try:
        future = _threads().submit(run)
    except RuntimeError:  # the pool is shutting down with the process
        _free.release()
        return Later(work, None)
    return Later(work, future)
