"""Work handed over while the workers are busy waits on one list and
costs one rq job between the handers (``RqJobQueue.gather``): real Redis,
a real rq worker in this process."""

from __future__ import annotations

import time

import pytest

from servicedesk import outbox, runtime
from servicedesk.queueing import GATHERED_CALLS, GATHERED_SECONDS, Gathered, RqJobQueue
from servicedesk.runtime import Runtime
from tests.conftest import work
from tests.integration.test_worker import mail_row

pytestmark = pytest.mark.redis

#: What ``take`` was called with, call by call (the worker runs in this process).
calls: list[tuple[int, ...]] = []
#: Ids ``take`` hands over again while it runs, as another process would.
more: list[int] = []
TAKE = Gathered(f"{__name__}.take", 10)


def take(*ids: int) -> None:
    calls.append(ids)
    if 700 in ids:
        time.sleep(GATHERED_SECONDS + 0.1)  # a provider that is slow to answer
    if 900 in ids:
        time.sleep(3)  # longer than the job may run (below)
    if more:
        runtime.current().jobs.gather("inbound", TAKE, [more.pop()])
    if 13 in ids:
        raise RuntimeError("the database went away")


@pytest.fixture(autouse=True)
def empty_calls() -> None:
    calls.clear()
    more.clear()


def test_rows_committed_before_a_worker_is_free_are_sent_by_one_job(
    rq_runtime: Runtime, session, mail
) -> None:
    assert isinstance(rq_runtime.jobs, RqJobQueue)
    outbound = rq_runtime.jobs.queue("outbound")
    for n in range(3):  # three requests' acknowledgements
        outbox.dispatch(rq_runtime, [mail_row(rq_runtime, session, f"busy{n}@example.org")])
    assert outbound.count == 1
    work(rq_runtime)
    assert [len(mail.to(f"busy{n}@example.org")) for n in range(3)] == [1, 1, 1]

    outbox.dispatch(rq_runtime, [mail_row(rq_runtime, session, "later@example.org")])
    assert outbound.count == 1, "a row committed after the job began has a job of its own"
    work(rq_runtime)
    assert len(mail.to("later@example.org")) == 1


def test_ids_handed_over_while_the_job_runs_are_taken_once(rq_runtime: Runtime) -> None:
    jobs = rq_runtime.jobs
    assert isinstance(jobs, RqJobQueue)
    more.append(2)
    jobs.gather("inbound", TAKE, [1])
    work(rq_runtime)
    assert sorted(i for ids in calls for i in ids) == [1, 2]


def test_a_long_list_is_left_to_a_successor_at_the_back_of_the_queue(
    rq_runtime: Runtime,
) -> None:
    jobs = rq_runtime.jobs
    assert isinstance(jobs, RqJobQueue)
    share = GATHERED_CALLS * 10
    jobs.gather("inbound", TAKE, list(range(100, 100 + share + 5)))
    jobs.enqueue("inbound", TAKE.func, 1)  # queued behind the first job
    work(rq_runtime)
    assert calls[GATHERED_CALLS] == (1,), "the job behind ran before the rest of the list"
    taken = [i for ids in calls for i in ids if i != 1]
    assert taken == list(range(100, 100 + share + 5))
    assert [len(ids) for ids in calls if ids != (1,)] == [10] * GATHERED_CALLS + [5]


def test_a_slow_call_leaves_the_rest_to_a_successor(rq_runtime: Runtime) -> None:
    jobs = rq_runtime.jobs
    assert isinstance(jobs, RqJobQueue)
    jobs.gather("inbound", TAKE, list(range(700, 730)))
    jobs.enqueue("inbound", TAKE.func, 1)  # queued behind the first job
    work(rq_runtime)
    assert [ids[0] for ids in calls] == [700, 1, 710, 720], "the job behind ran second"


def test_a_job_out_of_time_stops_and_leaves_the_rest_to_a_successor(
    rq_runtime: Runtime,
) -> None:
    jobs = rq_runtime.jobs
    assert isinstance(jobs, RqJobQueue)
    jobs.gather("inbound", TAKE, list(range(900, 930)))
    (job,) = jobs.queue("inbound").jobs
    job.timeout = 1  # rq's limit, as a deployment may set it
    job.save()
    jobs.enqueue("inbound", TAKE.func, 1)  # queued behind the first job
    work(rq_runtime)
    assert [ids[0] for ids in calls] == [900, 1, 910, 920], "no call after the time ran out"
    (failed,) = jobs.queue("inbound").failed_job_registry.get_job_ids()
    result = jobs.queue("inbound").fetch_job(failed).latest_result()
    assert "JobTimeoutException" in result.exc_string, "the job is marked failed for its time"


def test_a_call_that_fails_keeps_the_others_from_nothing(rq_runtime: Runtime) -> None:
    jobs = rq_runtime.jobs
    assert isinstance(jobs, RqJobQueue)
    jobs.gather("inbound", TAKE, list(range(10, 30)))
    work(rq_runtime)
    assert [ids[0] for ids in calls] == [10, 20], "the call after the failed one was made"
    assert jobs.queue("inbound").failed_job_registry.count == 1, "the job is marked failed"


def test_with_redis_away_the_caller_is_told_so() -> None:
    jobs = RqJobQueue("redis://127.0.0.1:1/0")  # nothing listens there
    assert jobs.gather("inbound", TAKE, [1, 2]) is False
    assert calls == []
