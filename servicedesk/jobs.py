"""Jobs: thin, verb-named functions that rq (or the inline queue) runs.
Each takes ids, finds the installed runtime, and is idempotent, so a retry
or a duplicate delivery between hosts is harmless."""

from __future__ import annotations

import logging

from servicedesk import outbox, runtime, sms_intake
from servicedesk.errors import keep_failure, raise_first
from servicedesk.intake import pipeline
from servicedesk.queueing import INBOUND, OUTBOUND, Gathered, RqJobQueue, enqueue_chunks

logger = logging.getLogger(__name__)

#: A sweep fills a queue up to this many waiting jobs and no further.  After
#: Redis was away, the whole backlog goes back in at once, not a few hundred
#: records a minute; in a burst, what still waits in the queue is not queued
#: a second time.  Two thousand intake records are 15 to 60 seconds of two
#: workers' work (15–60 ms each, by the machine): at most the minute
#: between two sweeps.
INTAKE_FILL = 200  # jobs of up to pipeline.RECORDS_PER_JOB records each
OUTBOX_FILL = 200  # jobs of up to outbox.ROWS_PER_JOB rows each


def process_intake(*record_ids: int) -> None:
    """Take stored records through the intake, each on its own: one that
    fails (kept on its record, which the sweeper retries) does not keep the
    others from their tickets.  The mail and SMS their tickets queued go
    to the outbound queue together at the end; the first failure is raised
    then, so the job is marked failed (the others are logged)."""
    rt = runtime.current()
    outbox_ids: list[int] = []
    failures: list[tuple[int, Exception]] = []
    try:
        for record_id in record_ids:
            try:
                applied = pipeline.process_record(rt, record_id, dispatch=False)
            except Exception as exc:
                keep_failure(failures, record_id, exc)
                continue
            if applied is not None:
                outbox_ids.extend(applied.outbox_ids)
                sms_intake.enqueue_media_fetch(rt, applied)
    finally:  # the tickets made before a timeout send their mail now
        outbox.dispatch(rt, outbox_ids)
    raise_first(failures, logger, "intake record %s: processing failed")


def take_gathered(queue: str, func: str, per_job: int) -> None:
    """The ids handed to ``func`` while this job waited (``queueing.RqJobQueue.gather``)."""
    jobs = runtime.current().jobs
    assert isinstance(jobs, RqJobQueue), "only rq gathers ids for a job"
    jobs.take_gathered(queue, Gathered(func, per_job))


def fetch_sms_media(message_id: int) -> None:
    sms_intake.fetch_media(runtime.current(), message_id)


def deliver_outbox(*item_ids: int) -> None:
    outbox.deliver_each(runtime.current(), item_ids)


def sweep_outbox() -> int:
    rt = runtime.current()
    room = rt.jobs.room(OUTBOUND, OUTBOX_FILL, outbox.DELIVERIES) * outbox.ROWS_PER_JOB
    if not room:
        return 0
    with rt.db.session() as session:
        due = list(outbox.due_items(session, rt.now(), limit=room))
    # Jobs of their own, which the next sweep's ``room`` counts; rows put
    # on the gathered list would not be counted as jobs waiting.
    enqueue_chunks(rt.jobs, OUTBOUND, outbox.DELIVERIES, due)
    if due:
        logger.info("outbox sweep enqueued %d rows", len(due))
    return len(due)


def sweep_intake() -> int:
    rt = runtime.current()
    room = rt.jobs.room(INBOUND, INTAKE_FILL, pipeline.INTAKES) * pipeline.RECORDS_PER_JOB
    if not room:
        return 0
    with rt.db.session() as session:
        stale = list(pipeline.stale_records(session, rt.now(), limit=room))
    enqueue_chunks(rt.jobs, INBOUND, pipeline.INTAKES, stale)
    if stale:
        logger.info("intake sweep enqueued %d records", len(stale))
    return len(stale)


def check_deadlines() -> int:
    from servicedesk import deadlines

    return deadlines.return_overdue_forwards(runtime.current())


# Issue 7: follow-up notices, announcements to groups, data retention.


def remind_pending() -> int:
    from servicedesk import followups

    return followups.remind_pending(runtime.current())


def close_resolved() -> int:
    from servicedesk import followups

    return followups.close_resolved(runtime.current())


def send_announcements() -> int:
    from servicedesk import announcement_delivery

    return announcement_delivery.run_batch(runtime.current())


def apply_retention() -> int:
    from servicedesk import retention

    return len(retention.run_job(runtime.current()).tickets)
