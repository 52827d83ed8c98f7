"""Jobs on a real Redis with a real rq worker in burst mode."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from redis import Redis
from rq import SimpleWorker

from servicedesk import outbox
from servicedesk.intake import pipeline
from servicedesk.models import IntakeRecord, OutboxItem, OutboxStatus, Ticket
from servicedesk.queueing import PERIODIC, QUEUE_NAMES, PeriodicJob, PeriodicRunner, RqJobQueue
from tests.conftest import redis_test_url, require

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_url() -> Iterator[str]:
    url = require("TEST_REDIS_URL", redis_test_url())
    connection = Redis.from_url(url)
    connection.flushdb()
    yield url
    connection.flushdb()


@pytest.fixture
def rq_runtime(rt, redis_url):  # type: ignore[no-untyped-def]
    rt.jobs = RqJobQueue(redis_url)
    return rt


def work(rt) -> None:  # type: ignore[no-untyped-def]
    queues = [rt.jobs.queue(name) for name in QUEUE_NAMES]
    SimpleWorker(queues, connection=rt.jobs.connection).work(burst=True)


def test_api_enquiry_acknowledged_by_the_worker(rq_runtime, api, session, mail) -> None:
    response = api.post(
        "/enquiries", json={"email": "w@example.org", "body": "Milloin haku alkaa?"}
    )
    assert response.status_code == 201
    assert mail.sent == []  # queued, not sent in the request
    work(rq_runtime)
    assert len(mail.to("w@example.org")) == 1


def test_intake_job_processes_a_stored_record(rq_runtime, session) -> None:
    from channels.message import Channel, InboundMessage

    message = InboundMessage(
        channel=Channel.WEB,
        external_id="web:worker-1",
        sender_address="r@example.org",
        text="Oppisopimus Oulussa?",
    )
    record_id, _ = pipeline.receive(
        rq_runtime,
        channel="web",
        raw=pipeline.encode_inbound(message),
        external_id=message.external_id,
    )
    rq_runtime.jobs.enqueue("inbound", "servicedesk.jobs.process_intake", record_id)
    rq_runtime.jobs.enqueue("inbound", "servicedesk.jobs.process_intake", record_id)  # a duplicate
    work(rq_runtime)
    record = session.get(IntakeRecord, record_id, populate_existing=True)
    assert record.status == "processed"
    assert session.query(Ticket).filter_by(id=record.ticket_id).count() == 1


def test_redis_down_loses_nothing(rt, session, mail, redis_url) -> None:
    rt.jobs = RqJobQueue("redis://127.0.0.1:1/0")  # nothing listens there
    item = outbox.add(
        session,
        kind="test",
        channel="email",
        to_address="d@example.org",
        now=rt.now(),
        payload={"subject": "s", "text": "t", "from_address": "neuvonta@desk.test"},
    )
    session.commit()
    outbox.dispatch(rt, [item.id])  # enqueue fails quietly; the row stays
    assert session.get(OutboxItem, item.id).status == OutboxStatus.PENDING
    rt.jobs = RqJobQueue(redis_url)  # Redis is back: the sweeper enqueues, a worker sends
    rt.jobs.enqueue("maintenance", "servicedesk.jobs.sweep_outbox")
    work(rt)
    assert len(mail.to("d@example.org")) == 1


def test_periodic_jobs_are_scheduled_once_across_workers(redis_url) -> None:
    job = PeriodicJob("probe", "servicedesk.jobs.sweep_outbox", every_seconds=60)
    first, second = RqJobQueue(redis_url), RqJobQueue(redis_url)
    runners = [PeriodicRunner(first, [job]), PeriodicRunner(second, [job])]
    started = [r.tick(1_000_020.0) for r in runners] + [r.tick(1_000_050.0) for r in runners]
    assert sum(len(s) for s in started) == 1
    assert len(runners[0].tick(1_000_090.0)) + len(runners[1].tick(1_000_090.0)) == 1
    assert {j.name for j in PERIODIC} >= {"sweep-outbox", "sweep-intake", "check-deadlines"}
