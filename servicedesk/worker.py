"""``servicedesk worker``: an rq worker on our queues, with rq's scheduler
(for delayed retries) and our periodic jobs, claimed once per time slot
across all workers (see queueing.py)."""

from __future__ import annotations

import logging

from rq import SimpleWorker

from servicedesk.queueing import QUEUE_NAMES, PeriodicRunner, RqJobQueue
from servicedesk.runtime import Runtime

logger = logging.getLogger(__name__)


def run_worker(
    runtime: Runtime, *, queues: tuple[str, ...] | None = None, burst: bool = False
) -> bool:
    jobs = runtime.jobs
    if not isinstance(jobs, RqJobQueue):
        raise RuntimeError("the worker needs Redis (SERVICEDESK_REDIS_URL)")
    names = queues or QUEUE_NAMES
    # SimpleWorker runs jobs in this process: no fork per job, so the
    # database pool and imported code are reused (the jobs are short and
    # idempotent; a crash loses nothing the sweepers cannot find again).
    worker = SimpleWorker([jobs.queue(n) for n in names], connection=jobs.connection)
    periodic = None if burst else PeriodicRunner(jobs).start()
    try:
        return bool(worker.work(burst=burst, with_scheduler=not burst))
    finally:
        if periodic is not None:
            periodic.stop()
