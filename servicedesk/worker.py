"""``servicedesk worker``: an rq worker on our queues, with rq's scheduler
(for delayed retries) and our periodic jobs, claimed once per time slot
across all workers (see queueing.py)."""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import SimpleWorker

from servicedesk.queueing import QUEUE_NAMES, PeriodicRunner, RqJobQueue
from servicedesk.runtime import Runtime, freeze_startup_objects

logger = logging.getLogger(__name__)
REDIS_LOST = (RedisConnectionError, RedisTimeoutError)
MAX_WAIT = 30.0  # seconds between attempts while Redis is away


class _Worker(SimpleWorker):
    """rq's SimpleWorker that remembers being asked to stop (SIGTERM or
    SIGINT), since rq's handler then asks Redis for the worker's state and
    fails with it when Redis is away."""

    stop_requested = False

    def request_stop(self, signum: Any, frame: Any) -> None:
        self.stop_requested = True
        super().request_stop(signum, frame)


def run_worker(
    runtime: Runtime, *, queues: tuple[str, ...] | None = None, burst: bool = False
) -> bool:
    jobs = runtime.jobs
    if not isinstance(jobs, RqJobQueue):
        raise RuntimeError("the worker needs Redis (SERVICEDESK_REDIS_URL)")
    names = queues or QUEUE_NAMES
    freeze_startup_objects()
    periodic = None if burst else PeriodicRunner(jobs).start()
    wait = 1.0
    try:
        while True:
            # SimpleWorker runs jobs in this process: no fork per job, so the
            # database pool and imported code are reused (the jobs are short
            # and idempotent; a crash loses nothing the sweepers cannot find
            # again).
            started = time.monotonic()
            worker = None
            try:
                worker = _Worker([jobs.queue(n) for n in names], connection=jobs.connection)
                return bool(worker.work(burst=burst, with_scheduler=not burst))
            except REDIS_LOST as error:
                # Asked to stop (rq's SIGTERM handler asks Redis for the
                # worker's state, and failed): stop.
                if worker is not None and worker.stop_requested:
                    logger.warning("stopping without Redis (%s)", error)
                    return False
                if time.monotonic() - started > MAX_WAIT:
                    wait = 1.0  # it had worked since: a new outage
                # rq waits for Redis between jobs, but not when it goes away
                # while a job's result is stored or the scheduler's locks are
                # released: then the worker waits here and registers anew.
                # The job's own work is committed or rolled back; the
                # sweepers find anything it left.
                if burst:
                    raise
                logger.warning("lost Redis (%s); working again in %.0f s", error, wait)
                _wait_for_redis(wait)
                wait = min(wait * 2, MAX_WAIT)
    finally:
        if periodic is not None:
            periodic.stop()


def _leave(_signum: int, _frame: Any) -> None:
    raise SystemExit(0)


def _wait_for_redis(seconds: float) -> None:
    """Sleep; SIGTERM or SIGINT meanwhile end the worker at once (rq's
    own handlers, left from the worker that failed, would ask Redis)."""
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, _leave)
    time.sleep(seconds)
