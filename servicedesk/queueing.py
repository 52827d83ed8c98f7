"""Job queues: rq on Redis in production, inline in the embedded default.

Queues are split by concern (inbound, outbound, maintenance) so each can be
scaled alone.  Enqueueing never fails the caller: the work it stands for is
already a row (intake record, outbox item) and a sweeper finds it again if
Redis was down.  Periodic jobs are data (``PERIODIC``); each run is claimed
with one Redis ``SET NX`` per time slot, so any number of workers schedule
it once.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from servicedesk.db import DATABASE_UNAVAILABLE
from servicedesk.errors import first_line, keep_failure, raise_first

logger = logging.getLogger(__name__)

INBOUND = "inbound"
OUTBOUND = "outbound"
MAINTENANCE = "maintenance"
QUEUE_NAMES = (INBOUND, OUTBOUND, MAINTENANCE)


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    name: str
    func: str  # dotted path, resolved lazily so this module imports nothing heavy
    every_seconds: int
    queue: str = MAINTENANCE


PERIODIC: tuple[PeriodicJob, ...] = (
    PeriodicJob("sweep-outbox", "servicedesk.jobs.sweep_outbox", 30),
    PeriodicJob("sweep-intake", "servicedesk.jobs.sweep_intake", 60),
    PeriodicJob("check-deadlines", "servicedesk.jobs.check_deadlines", 300),
    # Issue 7: follow-up notices, announcements to groups, data retention.
    PeriodicJob("remind-pending", "servicedesk.jobs.remind_pending", 3600),
    PeriodicJob("close-resolved", "servicedesk.jobs.close_resolved", 3600),
    PeriodicJob("send-announcements", "servicedesk.jobs.send_announcements", 60),
    PeriodicJob("apply-retention", "servicedesk.jobs.apply_retention", 3600),
)


@dataclass(frozen=True, slots=True)
class Gathered:
    """A job that takes ids, and how many to a call: what ``JobQueue.gather``
    hands ids to, and the plain jobs of ``enqueue_chunks`` (the sweepers)."""

    func: str
    per_job: int


JobFunc = str | Callable[..., Any]
"""A job: a function, or its dotted path (so lower layers can enqueue
``servicedesk.jobs`` functions without importing that module)."""


class JobQueue(Protocol):
    def enqueue(self, queue: str, func: JobFunc, *args: Any) -> bool:
        """Hand work over; True when it was queued or done."""
        ...

    def room(self, queue: str, most: int, gathered: Gathered | None = None) -> int:
        """How many jobs a sweeper should hand this queue now, at most
        ``most`` waiting in all: what already waits is not queued twice,
        the ids waiting on ``gathered``'s list (see ``gather``) included."""
        ...

    def gather(self, queue: str, gathered: Gathered, ids: Sequence[int]) -> bool:
        """Hand ids just committed to ``gathered.func``, ``per_job`` to a
        call; with rq, ids that other processes hand over before a job for
        them has started are taken by that same job (see
        ``RqJobQueue.gather``).  True when they were queued or done."""
        ...


class InlineJobQueue:
    """Runs each job at once in the calling process (the embedded default,
    and the CLI).  A failing job is logged, not raised: its row stays for
    the sweeper, exactly as when a worker dies.  While the database is
    unreachable each failure is one line, not a traceback: the periodic
    jobs meet it every half minute until it is back."""

    #: Inline, a sweep does its jobs itself while the caller waits: a few at
    #: a time (50 intake records, 500 outbox rows), the next sweep takes the
    #: next ones.
    SWEEP_AT_ONCE = 50

    def __init__(self) -> None:
        self.lock = threading.RLock()

    def room(self, queue: str, most: int, gathered: Gathered | None = None) -> int:
        return min(most, self.SWEEP_AT_ONCE)

    def gather(self, queue: str, gathered: Gathered, ids: Sequence[int]) -> bool:
        return enqueue_chunks(self, queue, gathered, ids)

    def enqueue(self, queue: str, func: JobFunc, *args: Any) -> bool:
        with self.lock:
            try:
                (resolve(func) if isinstance(func, str) else func)(*args)
            except DATABASE_UNAVAILABLE as exc:
                logger.warning(
                    "inline job %s not done, the database is unavailable (%s); it is tried again",
                    getattr(func, "__name__", func),
                    first_line(str(exc)),
                )
                return False
            except Exception:
                logger.exception("inline job %s failed", getattr(func, "__name__", func))
                return False
        return True


class RecordingJobQueue:
    """Keeps what was enqueued without running it (tests of after-commit work)."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, JobFunc, tuple[Any, ...]]] = []

    def enqueue(self, queue: str, func: JobFunc, *args: Any) -> bool:
        self.jobs.append((queue, func, args))
        return True

    def room(self, queue: str, most: int, gathered: Gathered | None = None) -> int:
        return max(0, most - sum(1 for name, _func, _args in self.jobs if name == queue))

    def gather(self, queue: str, gathered: Gathered, ids: Sequence[int]) -> bool:
        return enqueue_chunks(self, queue, gathered, ids)

    def run_all(self) -> None:
        while self.jobs:
            _queue, func, args = self.jobs.pop(0)
            (resolve(func) if isinstance(func, str) else func)(*args)


class RqJobQueue:
    def __init__(self, redis_url: str) -> None:
        from redis import Redis

        self.connection = Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=2)
        self._queues: dict[str, Any] = {}

    def queue(self, name: str) -> Any:
        from rq import Queue

        if name not in self._queues:
            self._queues[name] = Queue(name, connection=self.connection)
        return self._queues[name]

    def enqueue(self, queue: str, func: JobFunc, *args: Any) -> bool:
        from redis.exceptions import RedisError

        try:
            self.queue(queue).enqueue(func, *args, result_ttl=0, failure_ttl=7 * 86400)
        except (RedisError, OSError) as exc:
            logger.warning("could not enqueue %s on %s (%s); the sweeper will", func, queue, exc)
            return False
        return True

    def room(self, queue: str, most: int, gathered: Gathered | None = None) -> int:
        from redis.exceptions import RedisError

        try:
            waiting = int(self.queue(queue).count)
            if gathered is not None:
                # A backlog waiting on the list is already handed over, in
                # jobs of ``per_job``.
                ids = int(self.connection.llen(_gathered(queue, gathered.func)))
                waiting += -(-ids // gathered.per_job)
        except (RedisError, OSError):
            return 0  # Redis away: the next sweep finds it all again
        return max(0, most - waiting)

    def gather(self, queue: str, gathered: Gathered, ids: Sequence[int]) -> bool:
        """The ids go on a Redis list kept for (queue, func), and the first
        process to find no job pending for that list queues one
        (``GATHERED_JOB``); the job takes what the list holds then, up to
        ``GATHERED_CALLS`` calls of ``gathered.per_job`` ids.  On a quiet day that is
        a job for each commit, as ``enqueue`` would make; at a busy moment
        the contacts and mails committed while the workers are busy wait
        on the list and cost a job between them, not one each (rq's own
        handling of a job is some 3 ms of CPU, more than a routing
        decision).  False with Redis unreachable, as ``enqueue``."""
        from redis.exceptions import RedisError

        if not ids:
            return True
        key = _gathered(queue, gathered.func)
        try:
            pipe = self.connection.pipeline(transaction=False)
            pipe.rpush(key, *ids)
            pipe.set(f"{key}:job", "1", nx=True, ex=GATHER_MARK_SECONDS)
            _length, first = pipe.execute()
        except (RedisError, OSError) as exc:
            logger.warning(
                "could not hand %s over on %s (%s); the sweeper will", gathered.func, queue, exc
            )
            return False
        return not first or self._queue_gathered(queue, gathered)

    def _queue_gathered(self, queue: str, gathered: Gathered) -> bool:
        """Queue the job for the list, whose mark is set; the mark goes if
        that fails, so the next ids try again."""
        from redis.exceptions import RedisError

        if self.enqueue(queue, GATHERED_JOB, queue, gathered.func, gathered.per_job):
            return True
        # Should that fail too, the mark runs out (GATHER_MARK_SECONDS).
        with contextlib.suppress(RedisError, OSError):
            self.connection.delete(f"{_gathered(queue, gathered.func)}:job")
        return False

    def take_gathered(self, queue: str, gathered: Gathered) -> None:
        """The gathered job's work.  The mark goes first: ids handed over
        from then on queue a job of their own, so none is left on the list
        with no job to take it (a producer pushes, then marks; this job
        unmarks, then pops).  Each call on its own, like the jobs it
        stands for: one that fails (its rows wait for the sweeper, as after
        any failed job) does not keep the others from theirs; the first
        failure is raised at the end."""
        key = _gathered(queue, gathered.func)
        self.connection.delete(f"{key}:job")
        target = resolve(gathered.func)
        failures: list[tuple[int, Exception]] = []
        started = time.monotonic()
        emptied = False
        try:
            for _call in range(GATHERED_CALLS):
                ids = [int(item) for item in self.connection.lpop(key, gathered.per_job) or ()]
                if not ids:
                    emptied = True
                    break
                try:
                    target(*ids)
                except Exception as exc:
                    keep_failure(failures, ids[0], exc)
                if time.monotonic() - started > GATHERED_SECONDS:
                    break  # a slow provider: no longer a job than one call made
        finally:
            # More than a job's share waits (or the job ran out of time): a
            # successor at the back of the queue, so a stream of contacts
            # does not hold a worker from the jobs queued behind it.
            if (
                not emptied
                and self.connection.llen(key)
                and self.connection.set(f"{key}:job", "1", nx=True, ex=GATHER_MARK_SECONDS)
            ):
                self._queue_gathered(queue, gathered)
        raise_first(failures, logger, "gathered call from id %s failed")


#: The job that takes what ``RqJobQueue.gather`` collected.
GATHERED_JOB = "servicedesk.jobs.take_gathered"
#: Calls (``per_job`` ids each) one gathered job makes at most before it
#: leaves the rest to a successor; and the seconds after which it makes
#: no further call (ten mails to an SMTP server that stopped answering
#: can take five minutes, as long as a job of ten rows always could).
GATHERED_CALLS = 5
GATHERED_SECONDS = 5.0
#: How long a list's "job pending" mark lives: should its job be lost
#: (Redis emptied, the job never started), the next ids after that queue
#: another; what it would have taken waits in the database for the sweepers.
GATHER_MARK_SECONDS = 60


def _gathered(queue: str, func: str) -> str:
    return f"servicedesk:gathered:{queue}:{func}"


def enqueue_chunks(jobs: JobQueue, queue: str, job: Gathered, ids: Sequence[int]) -> bool:
    """A plain job of ``job.func`` for every ``job.per_job`` ids, nothing
    gathered; whether each was queued or done."""
    ids = list(ids)
    done = [
        jobs.enqueue(queue, job.func, *ids[start : start + job.per_job])
        for start in range(0, len(ids), job.per_job)
    ]
    return all(done)


def resolve(dotted: str) -> Callable[..., Any]:
    module_name, _, attribute = dotted.rpartition(".")
    module = __import__(module_name, fromlist=[attribute])
    func: Callable[..., Any] = getattr(module, attribute)
    return func


def claim_slot(connection: Any, job: PeriodicJob, now: float) -> bool:
    slot = int(now // job.every_seconds)
    key = f"servicedesk:periodic:{job.name}:{slot}"
    return bool(connection.set(key, "1", nx=True, ex=job.every_seconds * 2))


class PeriodicRunner:
    """A daemon thread that starts the periodic jobs.  With Redis each run
    is claimed across all workers; inline, it simply calls them."""

    def __init__(
        self,
        jobs: JobQueue,
        periodic: Sequence[PeriodicJob] = PERIODIC,
        tick_seconds: float = 5.0,
    ) -> None:
        self.jobs = jobs
        self.periodic = periodic
        self.tick_seconds = tick_seconds
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.loop, name="periodic-jobs", daemon=True)
        self.last_run: dict[str, float] = {}

    def start(self) -> PeriodicRunner:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()

    def tick(self, now: float) -> list[str]:
        started = []
        for job in self.periodic:
            if isinstance(self.jobs, RqJobQueue):
                try:
                    due = claim_slot(self.jobs.connection, job, now)
                except Exception as exc:  # Redis down: skip this tick
                    logger.warning("periodic %s not scheduled: %s", job.name, exc)
                    continue
            else:
                due = now - self.last_run.get(job.name, 0.0) >= job.every_seconds
            if due:
                self.last_run[job.name] = now
                self.jobs.enqueue(job.queue, job.func)
                started.append(job.name)
        return started

    def loop(self) -> None:
        while not self.stopping.wait(self.tick_seconds):
            try:
                self.tick(time.time())
            except Exception:
                logger.exception("periodic tick failed")
