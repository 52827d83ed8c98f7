"""``email poll`` with rq workers (Redis configured), against a real Dovecot
and a real Redis: the poller stores the mails and hands them to the
workers, ten to a job, and the workers make the tickets; nothing is lost
or doubled when a mail is fetched again, when its job is lost, or when
Redis is away."""

from __future__ import annotations

from pathlib import Path

import pytest
from imapclient import SEEN
from redis import Redis
from sqlalchemy import select

from servicedesk.mail_intake import IngestResult, take_in
from servicedesk.mail_sync import poll_once
from servicedesk.models import IntakeRecord, IntakeStatus, Ticket
from servicedesk.queueing import INBOUND, RqJobQueue
from servicedesk.runtime import Runtime
from servicedesk.storage import LocalStorage
from tests.conftest import work
from tests.fakes import RecordingMailSender
from tests.integration.mail.conftest import Imap, make_mail, outcome
from tests.integration.mail.test_mail_cli import GARBAGE
from tests.ports import free_port

pytestmark = [pytest.mark.imap, pytest.mark.redis]

QUEUED = "; the workers make its ticket"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def subjects(rt: Runtime) -> list[str]:
    with rt.db.session() as session:
        return sorted(session.execute(select(Ticket.subject)).scalars())


def hand_over(rt: Runtime, raw: bytes) -> IngestResult:
    """What the poller does with one mail when there are workers."""
    (result,) = take_in(rt, [("desk#1", raw)], source="desk", hand_off=True)
    return result


def records(rt: Runtime) -> dict[int, str]:
    """Intake record id → status."""
    with rt.db.session() as session:
        return {
            id_: status
            for id_, status in session.execute(select(IntakeRecord.id, IntakeRecord.status))
        }


def test_the_poller_stores_the_mails_and_the_workers_make_the_tickets(
    rq_runtime: Runtime, imap: Imap, mail: RecordingMailSender
) -> None:
    imap.append(
        *(
            make_mail(subject=subject, sender=f"hakija{n}@example.org")
            for n, subject in enumerate(["Oppisopimus", "Hakuaika", "Kielikoe"])
        )
    )
    report = poll_once(rq_runtime)
    assert report.errors == 0
    assert len(report.lines) == 3
    assert all(line.endswith(QUEUED) for line in report.lines), report.lines
    assert all(SEEN in flags for flags in imap.flags().values()), "stored: safe to mark seen"
    assert subjects(rq_runtime) == [], "the poller made no ticket itself"

    work(rq_runtime)
    assert subjects(rq_runtime) == ["Hakuaika", "Kielikoe", "Oppisopimus"]
    assert set(records(rq_runtime).values()) == {IntakeStatus.PROCESSED}
    for n in range(3):
        assert len(mail.to(f"hakija{n}@example.org")) == 1, "acknowledged once, by the workers"
    assert poll_once(rq_runtime).lines == [], "nothing is taken in twice"


def test_a_mail_fetched_again_while_it_waits_is_one_ticket(
    rq_runtime: Runtime, imap: Imap, redis_url: str
) -> None:
    raw = make_mail(subject="Kysymys hausta")
    # A poller stored the mail and queued it, then died before marking it
    # seen; its job was lost too (Redis emptied).
    first = hand_over(rq_runtime, raw)
    assert first.describe().endswith(QUEUED)
    Redis.from_url(redis_url).flushdb()
    imap.append(raw)

    (line,) = poll_once(rq_runtime).lines
    assert line.endswith(QUEUED) and f"intake record {first.record_id};" in line
    work(rq_runtime)
    assert subjects(rq_runtime) == ["Kysymys hausta"]
    assert records(rq_runtime) == {first.record_id: IntakeStatus.PROCESSED}

    # Fetched once more after it became a ticket: reported, not queued.
    again = hand_over(rq_runtime, raw)
    assert outcome(again.describe()) == "already"
    work(rq_runtime)
    assert subjects(rq_runtime) == ["Kysymys hausta"]


def test_the_mails_handed_over_before_a_worker_is_free_cost_one_job(
    rq_runtime: Runtime, imap: Imap
) -> None:
    imap.append(*(make_mail(subject=f"Kysymys {n:02d}") for n in range(12)))
    lines = poll_once(rq_runtime).lines
    assert len(lines) == 12 and all(line.endswith(QUEUED) for line in lines)
    assert isinstance(rq_runtime.jobs, RqJobQueue)
    assert rq_runtime.jobs.queue(INBOUND).count == 1, "one job takes the twelve, ten and two"
    work(rq_runtime)
    assert subjects(rq_runtime) == [f"Kysymys {n:02d}" for n in range(12)]


def test_a_mail_that_fails_in_a_job_keeps_no_other_from_its_ticket(
    rq_runtime: Runtime, imap: Imap, mail: RecordingMailSender, tmp_path: Path
) -> None:
    # The file store cannot be written (its folder would have to be made
    # inside a file): the mail with an attachment fails, the one without
    # does not, and both are in the same job.
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    rq_runtime.storage = LocalStorage(blocker / "files")
    imap.append(
        make_mail(subject="Liite mukana", attachments=[("todistus.pdf", "application/pdf", PDF)]),
        make_mail(subject="Ilman liitettä", sender="toinen@example.org"),
    )
    lines = poll_once(rq_runtime).lines
    assert len(lines) == 2 and all(line.endswith(QUEUED) for line in lines)
    assert isinstance(rq_runtime.jobs, RqJobQueue)
    assert rq_runtime.jobs.queue(INBOUND).count == 1

    work(rq_runtime)
    assert subjects(rq_runtime) == ["Ilman liitettä"]
    assert len(mail.to("toinen@example.org")) == 1, "its acknowledgement went out"
    with rq_runtime.db.session() as session:
        failed = session.execute(
            select(IntakeRecord).where(IntakeRecord.status == IntakeStatus.RECEIVED)
        ).scalar_one()
    assert failed.attempts == 1 and failed.error, "kept for the sweeper, with its error"
    assert rq_runtime.jobs.queue(INBOUND).failed_job_registry.count == 1, "the job is failed"


def test_a_mail_that_cannot_be_parsed_is_failed_by_the_worker_and_blocks_nothing(
    rq_runtime: Runtime, imap: Imap
) -> None:
    imap.append(GARBAGE, make_mail(subject="Perässä tuleva"))
    lines = poll_once(rq_runtime).lines
    assert len(lines) == 2 and all(line.endswith(QUEUED) for line in lines)
    work(rq_runtime)
    assert subjects(rq_runtime) == ["Perässä tuleva"]
    assert sorted(records(rq_runtime).values()) == [IntakeStatus.FAILED, IntakeStatus.PROCESSED]


def test_with_redis_away_the_poller_makes_the_tickets_itself(rt: Runtime, imap: Imap) -> None:
    rt.jobs = RqJobQueue(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    imap.append(make_mail(subject="Redis poissa"))
    (line,) = poll_once(rt).lines
    assert outcome(line) == "new ticket" and "(Redis poissa)" in line
    assert subjects(rt) == ["Redis poissa"]
