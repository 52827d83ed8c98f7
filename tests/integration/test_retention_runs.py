"""Every retention run leaves one ``retention_run`` record, whoever runs
it (the scheduled job, the command line, the console): who, the cutoffs,
the counts, the ticket numbers (bounded) and the files deleted; the
privacy page lists the latest runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from servicedesk import audit, jobs, retention, retention_runs
from servicedesk.models import Attachment, AuditEvent, Message
from tests.integration import console_kit
from tests.integration.console_kit import fast_sign_in, make_user, token
from tests.integration.issue7_kit import make_contact, make_ticket

app = console_kit.app  # the fixture, with compiled templates shared between tests

HOME = "/console/admin/privacy"


def runs(session) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(
        session.execute(
            select(AuditEvent).where(AuditEvent.kind == "retention_run").order_by(AuditEvent.id)
        ).scalars()
    )


def old_ticket(session, rt, email: str, *, with_file: bool = False):  # type: ignore[no-untyped-def]
    closed = rt.now() - timedelta(days=3 * 365)
    ticket = make_ticket(
        session,
        closed,
        contact=make_contact(session, email=email),
        status="closed",
        closed_at=closed,
    )
    if with_file:
        stored = rt.storage.put(b"%PDF- liite " + email.encode())
        message = session.execute(select(Message).where(Message.ticket_id == ticket.id)).scalar()
        session.add(
            Attachment(
                message_id=message.id,
                filename="liite.pdf",
                content_type="application/pdf",
                size=stored.size,
                sha256=stored.sha256,
                storage_key=stored.key,
            )
        )
    session.flush()
    return ticket


def test_the_scheduled_job_records_its_run(session, rt) -> None:
    due = [old_ticket(session, rt, f"vanha{i}@example.org", with_file=i == 0) for i in range(3)]
    session.commit()
    assert jobs.apply_retention() == 3
    (event,) = runs(session)
    assert event.ticket_id is None and event.actor == "system"
    data = event.data
    assert data["tickets"] == 3
    assert sorted(data["numbers"]) == sorted(t.number for t in due)
    assert set(data["cutoffs"]) == {"applicant", "staff"}
    assert data["counts"]["messages"] == 3 and data["counts"]["attachments"] == 1
    assert data["files_deleted"] == 1
    record = retention_runs.latest(session)[0]
    assert record.tickets == 3 and record.files_deleted == 1 and record.more_tickets == 0
    assert record.cutoffs["applicant"] < rt.now()


def test_an_empty_run_is_recorded_too_and_a_dry_run_is_not(session, rt) -> None:
    retention.run_job(rt, dry_run=True)
    assert runs(session) == []
    retention.run_job(rt)
    (event,) = runs(session)
    assert event.data["tickets"] == 0 and event.data["numbers"] == []


def test_the_command_line_is_named_as_the_actor(session, rt) -> None:
    old_ticket(session, rt, "cli-run@example.org")
    session.commit()
    retention.run_job(rt, actor=audit.Actor("command line"))
    assert [e.actor for e in runs(session)] == ["command line"]


def test_the_record_keeps_a_bounded_list_of_numbers(session, rt, monkeypatch) -> None:
    monkeypatch.setattr(retention_runs, "MAX_NUMBERS", 2)
    for i in range(3):
        old_ticket(session, rt, f"many{i}@example.org")
    session.commit()
    retention.run_job(rt)
    record = retention_runs.latest(session)[0]
    assert record.tickets == 3 and len(record.numbers) == 2 and record.more_tickets == 1


def test_latest_runs_newest_first_and_limited(session, rt) -> None:
    for _ in range(3):
        retention.run_job(rt)
    assert len(retention_runs.latest(session, limit=2)) == 2
    ids = [e.id for e in runs(session)]
    newest = retention_runs.latest(session, limit=1)[0]
    assert newest.at == session.get(AuditEvent, ids[-1]).created_at  # type: ignore[union-attr]


@pytest.fixture
def admin(client, session):  # type: ignore[no-untyped-def]
    user = make_user(session, "admin", name="Ada Admin")
    session.commit()
    fast_sign_in(client, user)
    return client


def test_the_console_run_writes_the_same_record(admin, session, rt) -> None:
    ticket = old_ticket(session, rt, "console-run@example.org")
    session.commit()
    done = admin.post(
        HOME + "/retention",
        data={"csrf_token": token(admin), "action": "run", "confirm": "yes"},
    )
    assert done.status_code == 200
    (event,) = runs(session)
    assert event.actor.startswith("Ada Admin <") and event.data["numbers"] == [ticket.number]
    assert event.data["files_deleted"] == 0


def test_the_privacy_page_lists_the_latest_runs(admin, session, rt) -> None:
    empty = admin.get(HOME).get_data(as_text=True)
    assert "The retention has not been run yet." in empty
    ticket = old_ticket(session, rt, "listed@example.org")
    session.commit()
    retention.run_job(rt)
    page = admin.get(HOME).get_data(as_text=True)
    table = page[page.index('id="retention-runs"') : page.index("</table>")]
    assert "Latest runs" in page
    assert ">system<" in table and ticket.number in table
    assert "Applicants: " in table  # the cutoff of each desk
    assert "messages: 1" in table


def test_the_privacy_page_shows_at_most_ten_runs(admin, session, rt) -> None:
    for _ in range(12):
        retention.run_job(rt)
    page = admin.get(HOME).get_data(as_text=True)
    table = page[page.index('id="retention-runs"') : page.index("</table>")]
    assert table.count("<tr>") == 1 + 10  # the head and ten runs
