"""Data retention and privacy: the retention job anonymises exactly the
tickets its policy names and keeps their statistics; a contact's data can
be exported and erased on request; both are audited."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from servicedesk import contact_export, desk_policies, retention, schema
from servicedesk.audit import Actor
from servicedesk.db import Database
from servicedesk.errors import NotFoundError
from servicedesk.models import (
    Attachment,
    AuditEvent,
    CallRecord,
    Contact,
    ContactIdentity,
    IntakeRecord,
    Message,
    OutboxItem,
    Survey,
    Ticket,
    TicketRedaction,
)
from tests.conftest import REPO
from tests.integration.issue7_kit import at, attach, make_contact, make_ticket

NOW = at("2028-06-15 12:00")
OFFICER = Actor("Tietosuojavastaava <dpo@desk.test>")


def snapshot(session, ticket: Ticket) -> dict[str, object]:
    """Everything personal a ticket holds, to compare before and after."""
    session.refresh(ticket)
    messages = session.execute(
        select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id)
    ).scalars()
    return {
        "ticket": (ticket.subject, ticket.contact_id, ticket.municipality_code, ticket.status),
        "messages": [(m.body_text, m.sender, m.recipient, m.subject) for m in messages],
        "attachments": [
            (a.filename, a.deleted_at)
            for a in session.execute(
                select(Attachment).join(Message).where(Message.ticket_id == ticket.id)
            ).scalars()
        ],
        "events": [
            (e.actor, e.reason, e.data)
            for e in session.execute(
                select(AuditEvent).where(AuditEvent.ticket_id == ticket.id)
            ).scalars()
        ],
    }


@pytest.fixture
def world(session, rt):
    """Tickets on both sides of each desk's retention limit."""
    desk_policies.set_policy(
        session,
        "staff",
        retention_months=12,
        reminder_days=7,
        close_after_days=14,
        user=None,
        now=NOW,
    )
    shared = b"%PDF-1.4 todistus"
    a = make_contact(session, name="Aino Vanha", email="aino@example.org", phone="+358401234567")
    old = make_ticket(
        session,
        at("2026-04-01 09:00"),
        contact=a,
        status="closed",
        closed_at=at("2026-05-01 09:00"),
        subject="Todistukseni",
        body="Hetuni on peitetty, osoitteeni Kotikatu 1",
        region="01",
        municipality_code="091",
        topic="recognition",
    )
    session.add_all(
        [
            Message(
                ticket_id=old.id,
                direction="outbound",
                channel="email",
                recipient="aino@example.org",
                sender="neuvonta@desk.test",
                body_text="Hei Aino, todistuksesi on kunnossa.",
                created_at=at("2026-04-02 09:00"),
            ),
            CallRecord(
                call_sid="CA-old",
                ticket_id=old.id,
                from_number="+358401234567",
                notes="Soitti todistuksesta",
                recording_url="https://api.twilio.test/rec",
            ),
            OutboxItem(
                ticket_id=old.id,
                kind="reply",
                channel="email",
                to_address="aino@example.org",
                payload={"text": "Hei Aino"},
                created_at=at("2026-04-02 09:00"),
            ),
            IntakeRecord(
                channel="email", raw=b"From: aino@example.org\r\n\r\nHetu", ticket_id=old.id
            ),
            Survey(
                ticket_id=old.id,
                token_hash="1" * 64,
                expires_at=at("2026-06-01 00:00"),
                score=3,
                comment="Kiitos Aino Vanhalta",
                answered_at=at("2026-04-20 00:00"),
            ),
            AuditEvent(
                ticket_id=old.id,
                actor="Aino Vanha <aino@example.org> (contact, on the status page)",
                kind="sms_opted_out",
                reason="Aino sent STOP",
                data={"number": "+358401234567"},
                created_at=at("2026-04-03 09:00"),
            ),
        ]
    )
    attach(session, rt, old, shared, "todistus.pdf")
    recent = make_ticket(
        session,
        at("2026-06-01 09:00"),
        contact=a,
        status="closed",
        closed_at=at("2026-07-01 09:00"),
        subject="Uusi kysymys",
    )
    attach(session, rt, recent, shared, "sama-todistus.pdf")  # the same file
    d = make_contact(session, name="Daniel Dahl", email="daniel@example.org")
    lonely = make_ticket(
        session,
        at("2025-01-10 09:00"),
        contact=d,
        status="closed",
        closed_at=at("2025-02-01 09:00"),
    )
    own_file = attach(session, rt, lonely, b"%PDF-1.4 daniel only", "cv.pdf")
    b = make_contact(session, name="Bertta Auki", email="bertta@example.org")
    still_open = make_ticket(session, at("2025-01-01 09:00"), contact=b, status="open")
    resolved = make_ticket(
        session,
        at("2025-01-01 09:00"),
        contact=b,
        status="resolved",
        resolved_at=at("2025-02-01 09:00"),
    )
    c = make_contact(session, name="Cecilia Virkailija", email="cecilia@osao.fi")
    staff_old = make_ticket(
        session,
        at("2026-12-01 09:00"),
        contact=c,
        status="closed",
        closed_at=at("2027-01-01 09:00"),
        audience="staff",
        queue="osao-staff",
        organization="osao",
    )
    e = make_contact(session, name="Eeva Virkailija", email="eeva@osao.fi")
    staff_recent = make_ticket(
        session,
        at("2027-07-01 09:00"),
        contact=e,
        status="closed",
        closed_at=at("2027-08-01 09:00"),
        audience="staff",
        queue="osao-staff",
        organization="osao",
    )
    session.commit()
    return {
        "a": a,
        "b": b,
        "c": c,
        "d": d,
        "e": e,
        "old": old,
        "recent": recent,
        "lonely": lonely,
        "open": still_open,
        "resolved": resolved,
        "staff_old": staff_old,
        "staff_recent": staff_recent,
        "own_file": own_file.storage_key,
        "shared_file": rt.storage.put(shared).key,
    }


def test_retention_anonymises_only_what_the_policy_names(session, rt, world) -> None:
    untouched = ["recent", "open", "resolved", "staff_recent"]
    before = {name: snapshot(session, world[name]) for name in untouched}
    rt.clock = lambda: NOW
    report = retention.run_job(rt)
    assert sorted(report.tickets) == sorted(
        [world["old"].number, world["lonely"].number, world["staff_old"].number]
    )
    assert report.counts["tickets"] == 3 and report.counts["contacts"] == 2
    assert report.counts["files_deleted"] == 1
    # nothing outside the policy touched
    for name in untouched:
        assert snapshot(session, world[name]) == before[name], name
    assert session.get(TicketRedaction, world["recent"].id) is None
    assert rt.storage.read(world["shared_file"])  # still needed by the recent ticket
    with pytest.raises(FileNotFoundError):
        rt.storage.read(world["own_file"])


def test_anonymised_ticket_keeps_its_statistics(session, rt, world) -> None:
    rt.clock = lambda: NOW
    retention.run_job(rt)
    old = session.get(Ticket, world["old"].id, populate_existing=True)
    assert (old.status, old.channel, old.topic, old.region_code, old.queue_id, old.language) == (
        "closed",
        "email",
        "recognition",
        "01",
        "national-triage",
        "fi",
    )
    assert old.created_at == at("2026-04-01 09:00") and old.closed_at == at("2026-05-01 09:00")
    assert (old.subject, old.contact_id, old.municipality_code) == ("", None, None)
    messages = (
        session.execute(select(Message).where(Message.ticket_id == old.id).order_by(Message.id))
        .scalars()
        .all()
    )
    assert [(m.direction, m.channel) for m in messages] == [
        ("inbound", "email"),
        ("outbound", "email"),
    ]
    for message in messages:
        assert message.body_text == "[Viestin sisältö on poistettu säilytysajan päätyttyä.]"
        assert "aino" not in (message.sender + message.recipient + message.subject).lower()
    call = session.execute(select(CallRecord).where(CallRecord.ticket_id == old.id)).scalar_one()
    assert (call.from_number, call.notes, call.recording_url) == ("", "", None)
    outbox = session.execute(select(OutboxItem).where(OutboxItem.ticket_id == old.id)).scalar_one()
    assert outbox.to_address == "" and "Aino" not in json.dumps(outbox.payload)
    raw = session.execute(
        select(IntakeRecord.raw).where(IntakeRecord.ticket_id == old.id)
    ).scalar_one()
    assert raw == b""
    survey = session.execute(select(Survey).where(Survey.ticket_id == old.id)).scalar_one()
    assert (survey.score, survey.comment) == (3, "")
    events = (
        session.execute(select(AuditEvent).where(AuditEvent.ticket_id == old.id)).scalars().all()
    )
    opted = next(e for e in events if e.kind == "sms_opted_out")
    assert (opted.actor, opted.reason, opted.data) == ("the contact", "", {})
    removed = next(e for e in events if e.kind == "personal_data_removed")
    assert removed.data["messages"] == 2 and removed.data["attachments"] == 1
    # contact A still has a recent ticket: kept; D had only this one: anonymised
    a = session.get(Contact, world["a"].id, populate_existing=True)
    assert a.name == "Aino Vanha" and len(a.identities) == 2
    d = session.get(Contact, world["d"].id, populate_existing=True)
    assert (d.name, d.identities, d.anonymized_at) == ("", [], NOW)


def test_retention_is_idempotent_and_has_a_dry_run(session, rt, world) -> None:
    rt.clock = lambda: NOW
    dry = retention.run_job(rt, dry_run=True)
    assert dry.dry_run and len(dry.tickets) == 3 and dry.counts["messages"] == 4
    assert session.execute(select(TicketRedaction)).first() is None
    assert "would anonymise 3 ticket(s)" in dry.lines()
    assert len(retention.run_job(rt).tickets) == 3
    assert retention.run_job(rt).tickets == []


def test_export_everything_about_a_contact(session, rt, world) -> None:
    session.add(
        Message(
            ticket_id=world["recent"].id,
            direction="note",
            channel="web",
            is_public=False,
            body_text="<script>alert('x')</script> sisäinen",
        )
    )
    data = contact_export.export_contact(session, " Aino@Example.org ", actor=OFFICER, now=NOW)
    assert data["contact"]["name"] == "Aino Vanha"
    assert {i["value"] for i in data["identities"]} == {"aino@example.org", "+358401234567"}
    assert [t["number"] for t in data["tickets"]] == [world["old"].number, world["recent"].number]
    old = data["tickets"][0]
    assert old["calls"][0]["notes"] == "Soitti todistuksesta"
    assert old["survey"] == {
        "score": 3,
        "comment": "Kiitos Aino Vanhalta",
        "answered_at": "2026-04-20T00:00:00+00:00",
    }
    assert old["messages"][0]["attachments"][0]["filename"] == "todistus.pdf"
    note = data["tickets"][1]["messages"][-1]
    assert note["internal"] is True
    json.dumps(data)  # JSON-ready
    page = contact_export.export_html(data)
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert world["recent"].number in page and '<html lang="en">' in page
    event = session.execute(
        select(AuditEvent).where(AuditEvent.kind == "contact_exported")
    ).scalar_one()
    assert event.actor == OFFICER.label and event.data["contact_id"] == world["a"].id
    assert contact_export.export_contact(session, "040 123 4567", actor=OFFICER, now=NOW)
    with pytest.raises(NotFoundError):
        contact_export.export_contact(session, "nobody@example.org", actor=OFFICER, now=NOW)


def test_erasure_on_request(session, rt, world) -> None:
    other = snapshot(session, world["staff_recent"])
    report = retention.erase_contact(session, "+358 40 123 4567", actor=OFFICER, now=NOW)
    session.commit()
    assert sorted(report.tickets) == sorted([world["old"].number, world["recent"].number])
    assert retention.delete_files(session, rt.storage, report.storage_keys) == 1
    with pytest.raises(FileNotFoundError):
        rt.storage.read(world["shared_file"])  # nobody needs it now
    a = session.get(Contact, world["a"].id, populate_existing=True)
    assert (a.name, a.identities) == ("", [])
    assert (
        session.execute(
            select(ContactIdentity).where(ContactIdentity.value == "aino@example.org")
        ).first()
        is None
    )
    recent = session.get(Ticket, world["recent"].id, populate_existing=True)
    assert recent.contact_id is None and recent.subject == ""
    assert session.get(TicketRedaction, recent.id).reason == "erasure"
    body = session.execute(select(Message.body_text).where(Message.ticket_id == recent.id)).scalar()
    assert body == "[Viestin sisältö on poistettu henkilön pyynnöstä.]"
    erased = session.execute(
        select(AuditEvent).where(AuditEvent.kind == "contact_erased")
    ).scalar_one()
    assert erased.actor == OFFICER.label and "aino" not in json.dumps(erased.data).lower()
    assert snapshot(session, world["staff_recent"]) == other
    with pytest.raises(NotFoundError):
        retention.erase_contact(session, "aino@example.org", actor=OFFICER, now=NOW)


def test_erasure_closes_open_tickets(session, rt, world) -> None:
    retention.erase_contact(session, "bertta@example.org", actor=OFFICER, now=NOW)
    for name in ("open", "resolved"):
        ticket = session.get(Ticket, world[name].id, populate_existing=True)
        assert (ticket.status, ticket.closed_at) == ("closed", NOW)


def test_months_before_clamps_to_the_month_end() -> None:
    assert retention.months_before(at("2028-02-29 12:00"), 24) == at("2026-02-28 12:00")
    assert retention.months_before(at("2028-06-15 12:00"), 24) == at("2026-06-15 12:00")
    assert retention.months_before(at("2028-01-31 00:00"), 1) == at("2027-12-31 00:00")


def test_commands(tmp_path) -> None:
    """``servicedesk contact export|erase`` and ``retention run``, as run."""
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "PYTHONPATH"}}
    env |= {
        "SERVICEDESK_INSTANCE_PATH": str(tmp_path),
        "SERVICEDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "SERVICEDESK_SECRET_KEY": "cli-test-secret-key-long-enough",
        "SERVICEDESK_LOG_LEVEL": "WARNING",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "servicedesk", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            timeout=120,
            check=False,
        )

    db = Database.connect(env["SERVICEDESK_DATABASE_URL"])
    schema.upgrade(db.engine)
    with db.transaction() as session:
        contact = make_contact(session, email="cli@example.org")
        make_ticket(
            session,
            at("2024-01-01 10:00"),
            contact=contact,
            status="closed",
            queue=None,
            organization=None,
            closed_at=at("2024-01-02 10:00"),
            body="<b>salainen</b>",
        )
    db.dispose()
    exported = run("contact", "export", "cli@example.org")
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["tickets"][0]["messages"][0]["text"] == "<b>salainen</b>"
    dry = run("retention", "run", "--dry-run")
    assert dry.returncode == 0 and "would anonymise 1 ticket(s)" in dry.stdout, dry.stderr
    refused = run("contact", "erase", "cli@example.org")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    erased = run("contact", "erase", "cli@example.org", "--yes")
    assert erased.returncode == 0 and "erased the contact and 1 ticket(s)" in erased.stdout
