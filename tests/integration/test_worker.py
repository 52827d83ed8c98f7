"""Jobs on a real Redis with a real rq worker in burst mode."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rq import SimpleWorker
from sqlalchemy import func, select

from channels.message import Channel, InboundMessage
from servicedesk import jobs, outbox
from servicedesk.intake import pipeline
from servicedesk.models import IntakeRecord, OutboxItem, OutboxStatus, Ticket
from servicedesk.queueing import PERIODIC, PeriodicJob, PeriodicRunner, RqJobQueue
from servicedesk.runtime import utc_now
from tests.conftest import work

pytestmark = pytest.mark.redis


def test_api_enquiry_acknowledged_by_the_worker(rq_runtime, api, session, mail) -> None:
    response = api.post(
        "/enquiries", json={"email": "w@example.org", "body": "Milloin haku alkaa?"}
    )
    assert response.status_code == 201
    assert mail.sent == []  # queued, not sent in the request
    work(rq_runtime)
    assert len(mail.to("w@example.org")) == 1


def stored(rt, external_id: str, sender: str, text: str) -> int:  # type: ignore[no-untyped-def]
    """A web enquiry kept as the intake keeps it, not processed: its record's id."""
    message = InboundMessage(
        channel=Channel.WEB, external_id=external_id, sender_address=sender, text=text
    )
    record_id, _ = pipeline.receive(
        rt, channel="web", raw=pipeline.encode_inbound(message), external_id=external_id
    )
    return record_id


def test_intake_job_processes_a_stored_record(rq_runtime, session) -> None:
    record_id = stored(rq_runtime, "web:worker-1", "r@example.org", "Oppisopimus Oulussa?")
    rq_runtime.jobs.enqueue("inbound", "servicedesk.jobs.process_intake", record_id)
    rq_runtime.jobs.enqueue("inbound", "servicedesk.jobs.process_intake", record_id)  # a duplicate
    work(rq_runtime)
    record = session.get(IntakeRecord, record_id, populate_existing=True)
    assert record.status == "processed"
    assert session.query(Ticket).filter_by(id=record.ticket_id).count() == 1


def mail_row(rt, session, to: str) -> int:  # type: ignore[no-untyped-def]
    """A committed outbox row for a mail to ``to``, not handed to a queue yet."""
    item = outbox.add(
        session,
        kind="test",
        channel="email",
        to_address=to,
        now=rt.now(),
        payload={"subject": "s", "text": "t", "from_address": "neuvonta@desk.test"},
    )
    session.commit()
    return item.id


def test_redis_down_loses_nothing(rt, session, mail, redis_url) -> None:
    rt.jobs = RqJobQueue("redis://127.0.0.1:1/0")  # nothing listens there
    item_id = mail_row(rt, session, "d@example.org")
    outbox.dispatch(rt, [item_id])  # enqueue fails quietly; the row stays
    assert session.get(OutboxItem, item_id).status == OutboxStatus.PENDING
    rt.jobs = RqJobQueue(redis_url)  # Redis is back: the sweeper enqueues, a worker sends
    rt.clock = lambda: utc_now() + timedelta(minutes=3)  # the next sweep, later
    rt.jobs.enqueue("maintenance", "servicedesk.jobs.sweep_outbox")
    work(rt)
    assert len(mail.to("d@example.org")) == 1


def test_a_row_waiting_in_the_queue_is_not_queued_again(rq_runtime, session, mail) -> None:
    """A sweep while the delivery job of a row just committed still waits
    gives it no second job; a row whose job was lost is queued again once
    its job has had its time."""
    item_id = mail_row(rq_runtime, session, "queued@example.org")
    outbox.dispatch(rq_runtime, [item_id])
    outbound = rq_runtime.jobs.queue("outbound")
    assert outbound.count == 1
    assert jobs.sweep_outbox() == 0
    assert outbound.count == 1, "the waiting row was given a second job"
    outbound.empty()  # the job is lost (Redis flushed, say)
    rq_runtime.clock = lambda: utc_now() + outbox.QUEUED_GRACE + timedelta(seconds=1)
    assert jobs.sweep_outbox() == 1
    work(rq_runtime)
    assert len(mail.to("queued@example.org")) == 1


def test_periodic_jobs_are_scheduled_once_across_workers(redis_url) -> None:
    job = PeriodicJob("probe", "servicedesk.jobs.sweep_outbox", every_seconds=60)
    first, second = RqJobQueue(redis_url), RqJobQueue(redis_url)
    runners = [PeriodicRunner(first, [job]), PeriodicRunner(second, [job])]
    started = [r.tick(1_000_020.0) for r in runners] + [r.tick(1_000_050.0) for r in runners]
    assert sum(len(s) for s in started) == 1
    assert len(runners[0].tick(1_000_090.0)) + len(runners[1].tick(1_000_090.0)) == 1
    assert {j.name for j in PERIODIC} >= {"sweep-outbox", "sweep-intake", "check-deadlines"}


def test_a_backlog_left_while_redis_was_away_goes_back_in_one_sweep(rt, session, redis_url) -> None:
    """More enquiries than the old few hundred a sweep came in while Redis
    was away: the first sweep after it returns queues them all, and the
    worker makes every one a ticket."""
    rt.jobs = RqJobQueue("redis://127.0.0.1:1/0")  # nothing listens there
    assert rt.jobs.room("inbound", 2000) == 0, "no room is promised while Redis is away"
    record_ids = [
        stored(rt, f"web:backlog-{n}", f"backlog{n}@example.org", f"{n}: milloin haku alkaa?")
        for n in range(260)
    ]
    rt.jobs = RqJobQueue(redis_url)
    rt.clock = lambda: utc_now() + timedelta(minutes=3)  # the next sweep, later
    rt.jobs.enqueue("maintenance", "servicedesk.jobs.sweep_intake")
    SimpleWorker([rt.jobs.queue("maintenance")], connection=rt.jobs.connection).work(burst=True)
    assert rt.jobs.queue("inbound").count == 26, "the whole backlog in one sweep, ten to a job"
    work(rt)
    statuses = session.scalars(
        select(IntakeRecord.status).where(IntakeRecord.id.in_(record_ids))
    ).all()
    assert statuses == ["processed"] * 260
    assert session.scalar(select(func.count()).select_from(Ticket)) == 260


def test_a_sweep_fills_a_queue_only_up_to_what_it_is_given(redis_url) -> None:
    """What already waits in the queue counts: a queue holding its fill gets
    nothing more, so a sweep in a burst does not queue the waiting work twice."""
    jobs = RqJobQueue(redis_url)
    assert jobs.room("inbound", 5) == 5
    for n in range(3):
        jobs.enqueue("inbound", "servicedesk.jobs.process_intake", n)
    assert jobs.room("inbound", 5) == 2
    assert jobs.room("inbound", 3) == 0
    assert jobs.room("outbound", 5) == 5, "each queue on its own"


def test_a_sweep_counts_what_waits_on_the_gathered_list(rq_runtime, session) -> None:
    """Records handed over at a busy moment wait on a list, not as jobs:
    a sweep counts them, so a backlog is not queued a second time."""
    queue = rq_runtime.jobs
    queue.gather("inbound", pipeline.INTAKES, list(range(1, 26)))
    assert queue.room("inbound", 10) == 9, "the job that will take them"
    assert queue.room("inbound", 10, pipeline.INTAKES) == 6, "and the 25 ids, ten to a job"
    assert queue.room("outbound", 10, outbox.DELIVERIES) == 10

    for n in range(3):  # waiting longer than a sweep leaves them
        stored(rq_runtime, f"web:stale-{n}", f"s{n}@example.org", "Milloin haku alkaa?")
    rq_runtime.clock = lambda: utc_now() + timedelta(minutes=3)
    assert jobs.sweep_intake() == 3, "a short list leaves room"
    queue.gather("inbound", pipeline.INTAKES, list(range(1000, 3000)))  # a long one
    assert jobs.sweep_intake() == 0, "the backlog is left to the jobs taking the list"
