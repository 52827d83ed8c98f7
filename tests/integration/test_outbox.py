"""The outbox: one row, sent at most once; retried with backoff; failed
for good on a permanent error or after the limit; swept when a job is lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from channels.errors import PermanentDeliveryError, TemporaryDeliveryError
from servicedesk import jobs, outbox, sms_consent
from servicedesk.models import (
    Contact,
    ContactIdentity,
    OutboxItem,
    OutboxStatus,
)
from servicedesk.queueing import RecordingJobQueue
from tests.integration.issue7_kit import attach, make_ticket


def make_row(rt, session, to: str = "someone@example.org", **payload: object) -> int:
    item = outbox.add(
        session,
        kind="test",
        channel="email",
        to_address=to,
        now=rt.now(),
        payload={
            "subject": "Hei",
            "text": "Viesti",
            "from_address": "neuvonta@desk.test",
            "message_id": f"test-{to}@desk.test",
            **payload,
        },
    )
    session.commit()
    return item.id


def test_sent_once_even_when_delivered_twice(rt, session, mail) -> None:
    item_id = make_row(rt, session)
    assert outbox.deliver(rt, item_id) == OutboxStatus.SENT
    assert outbox.deliver(rt, item_id) == OutboxStatus.SENT
    assert len(mail.sent) == 1
    row = session.get(OutboxItem, item_id, populate_existing=True)
    assert row.sent_at is not None and row.attempts == 1


def test_temporary_failure_is_retried_with_backoff(rt, session, mail) -> None:
    item_id = make_row(rt, session)
    mail.failure = TemporaryDeliveryError("451 try later", code="451")
    assert outbox.deliver(rt, item_id) == OutboxStatus.PENDING
    row = session.get(OutboxItem, item_id, populate_existing=True)
    assert row.attempts == 1
    assert row.last_error == "451 try later"
    assert row.next_attempt_at >= rt.now() + timedelta(seconds=50)
    # not due yet: the sweeper leaves it alone
    assert item_id not in outbox.due_items(session, rt.now())
    mail.failure = None
    # and a job that comes early (an agent's action on the ticket
    # dispatches its pending rows) neither sends it nor spends an attempt
    assert outbox.deliver(rt, item_id) == OutboxStatus.PENDING
    assert session.get(OutboxItem, item_id, populate_existing=True).attempts == 1
    assert mail.sent == []
    later = rt.now() + timedelta(minutes=2)
    assert item_id in outbox.due_items(session, later)
    rt.clock = lambda: later
    assert outbox.deliver(rt, item_id) == OutboxStatus.SENT
    assert len(mail.sent) == 1


def test_permanent_failure_is_visible_and_not_retried(rt, session, mail) -> None:
    item_id = make_row(rt, session)
    mail.failure = PermanentDeliveryError("550 no such user", code="550")
    assert outbox.deliver(rt, item_id) == OutboxStatus.FAILED
    row = session.get(OutboxItem, item_id, populate_existing=True)
    assert row.error_code == "550"
    assert item_id not in outbox.due_items(session, rt.now() + timedelta(days=1))


def attempt_until_the_limit(rt, session, item_id: int) -> str | None:
    """Deliver again and again, each time as soon as the row is due."""
    status = None
    for _ in range(outbox.MAX_ATTEMPTS):
        session.execute(
            OutboxItem.__table__.update()
            .where(OutboxItem.id == item_id)
            .values(next_attempt_at=rt.now())
        )
        session.commit()
        status = outbox.deliver(rt, item_id)
    return status


def test_gives_up_after_the_limit(rt, session, mail) -> None:
    item_id = make_row(rt, session)
    mail.failure = TemporaryDeliveryError("timeout")
    assert attempt_until_the_limit(rt, session, item_id) == OutboxStatus.FAILED


def test_failed_row_can_be_retried_by_hand(rt, session, mail) -> None:
    item_id = make_row(rt, session)
    mail.failure = PermanentDeliveryError("550 mailbox full", code="550")
    outbox.deliver(rt, item_id)
    mail.failure = None
    assert outbox.retry(session, item_id, rt.now())
    session.commit()
    assert outbox.deliver(rt, item_id) == OutboxStatus.SENT


def test_sweeper_finds_rows_whose_job_was_lost(rt, session, mail) -> None:
    item_id = make_row(rt, session)
    # a worker claimed it and died: the lease runs out
    claimed = outbox.claim(session, item_id, rt.now() - timedelta(minutes=10))
    assert claimed is not None
    assert outbox.claim(session, item_id, rt.now() - timedelta(minutes=9)) is None
    queue = RecordingJobQueue()
    rt.jobs = queue
    assert jobs.sweep_outbox() >= 1
    assert any(item_id in args for _q, _f, args in queue.jobs)
    queue.run_all()
    assert (
        session.execute(select(OutboxItem.status).where(OutboxItem.id == item_id)).scalar_one()
        == OutboxStatus.SENT
    )
    assert len(mail.sent) == 1


def test_rows_handed_over_together_are_each_sent_when_one_fails(rt, session, mail) -> None:
    """An enquiry's mails go to the workers as one job; a row whose sending
    fails unexpectedly does not keep the others back, and stays for the
    sweeper."""
    ids = [make_row(rt, session, to=f"r{n}@example.org") for n in range(3)]
    queue = RecordingJobQueue()
    rt.jobs = queue
    outbox.dispatch(rt, ids)
    assert [args for _q, _f, args in queue.jobs] == [tuple(ids)]
    mail.broken["r1@example.org"] = RuntimeError("the connection broke halfway")
    with pytest.raises(RuntimeError, match="broke halfway"):
        queue.run_all()
    assert sorted(m.to_address for m in mail.sent) == ["r0@example.org", "r2@example.org"]
    assert ids[1] in outbox.due_items(session, rt.now() + outbox.LEASE + timedelta(seconds=1))
    del mail.broken["r1@example.org"]
    assert jobs.sweep_outbox() == 0  # its lease has not run out yet
    outbox.deliver(rt, ids[1])  # nothing sends it twice: still leased
    assert len(mail.sent) == 2


def test_a_mail_whose_attachment_file_is_gone_is_retried_then_failed_visibly(
    rt, session, mail
) -> None:
    file = attach(session, rt, make_ticket(session, rt.now()), b"%PDF-1.4", "todistus.pdf")
    item_id = make_row(rt, session, attachment_ids=[file.id])
    rt.storage.delete(file.storage_key)  # the file is lost (a restore without it)
    assert outbox.deliver(rt, item_id) == OutboxStatus.PENDING
    row = session.get(OutboxItem, item_id, populate_existing=True)
    assert "todistus.pdf" in (row.last_error or "")
    assert attempt_until_the_limit(rt, session, item_id) == OutboxStatus.FAILED
    assert mail.sent == []


def test_an_sms_to_a_number_that_opted_out_after_queueing_is_not_sent(rt, session, sms) -> None:
    number = "+358401234599"
    contact = Contact(name="Aino", created_at=rt.now())
    session.add(contact)
    session.flush()
    identity = ContactIdentity(contact_id=contact.id, kind="phone", value=number)
    session.add(identity)
    item = outbox.add(
        session,
        kind="reply",
        channel="sms",
        to_address=number,
        now=rt.now(),
        payload={"text": "Vastaus", "from_address": "+358401110000"},
    )
    session.commit()
    # STOP arrives while the row waits for its job
    sms_consent.opt_out(session, identity, at=rt.now(), reason="the contact sent 'STOP' by SMS")
    session.commit()

    assert outbox.deliver(rt, item.id) == OutboxStatus.FAILED

    assert sms.sent == []
    row = session.get(OutboxItem, item.id, populate_existing=True)
    assert row.last_error == outbox.OPTED_OUT
    assert item.id not in outbox.due_items(session, rt.now() + timedelta(days=1))
