"""A small HTTP load generator for the benchmarks: a pool of threads, each
with its own keep-alive connection and cookie jar, posting enquiries the
way browsers and integrations do, timing every request.

Browsers are simulated one per enquiry: a new connection from a source
address of its own on the loopback network (127.1.x.y: every 127/8 address
is local on Linux), a GET of the form for its CSRF token and cookie, then
the POST.  Different addresses matter: public forms are rate-limited per
address, as they must be, and ten thousand applicants do not share one.

``run_load`` returns a :class:`LoadResult` with the latencies of the timed
requests (the POSTs), the status counts and the wall-clock time.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tests.reliability.burst import percentiles_ms
from tests.reliability.http_client import Answer


@dataclass
class LoadResult:
    """What one load run measured; ``latencies`` are seconds of the timed requests."""

    name: str
    requests: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    queued: int = 0  # stored and answered, the ticket left to the rq workers
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, status: int | str, seconds: float | None) -> None:
        with self.lock:
            self.statuses[str(status)] += 1
            if seconds is not None:
                self.latencies.append(seconds)

    def note_queued(self) -> None:
        with self.lock:
            self.queued += 1

    def fail(self, kind: str) -> None:
        with self.lock:
            self.errors[kind] += 1

    @property
    def succeeded(self) -> int:
        """Tasks that ended as they should (each task reports at most one failure)."""
        return self.requests - sum(self.errors.values())

    @property
    def per_second(self) -> float:
        return self.succeeded / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "requests": self.requests,
            "succeeded": self.succeeded,
            "seconds": round(self.seconds, 3),
            "per_second": round(self.per_second, 1),
            **{f"{k}_ms": v for k, v in percentiles_ms(self.latencies).items()},
            "statuses": dict(self.statuses),
            "queued": self.queued,
            "errors": dict(self.errors),
        }


Task = Callable[[LoadResult], None]


def run_load(name: str, tasks: Sequence[Task], concurrency: int) -> LoadResult:
    """Run every task on ``concurrency`` threads; the clock covers them all."""
    result = LoadResult(name, requests=len(tasks))

    def guarded(task: Task) -> None:
        try:
            task(result)
        except Exception as exc:  # counted, never raised: the run goes on
            result.fail(type(exc).__name__)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix=name) as pool:
        list(pool.map(guarded, tasks))
    result.seconds = time.perf_counter() - started
    return result


def timed(result: LoadResult, call: Callable[[], Answer]) -> Answer:
    started = time.perf_counter()
    answer = call()
    result.add(answer.status, time.perf_counter() - started)
    return answer
