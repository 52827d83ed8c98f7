"""The automatic notices around a ticket's life: passed on to an
institution, the waiting-for-your-reply reminder (a periodic job, once per
quiet spell), and closing resolved tickets automatically (a periodic job)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from servicedesk import desk_policies, followups, jobs, tickets
from servicedesk.models import AuditEvent, OutboxItem, Ticket
from servicedesk.queueing import PERIODIC
from tests.integration.issue7_kit import at, make_contact, make_ticket

NOW = at("2026-03-16 08:00")


@pytest.fixture
def clock(rt):
    moments = [NOW]
    rt.clock = lambda: moments[-1]
    return moments


def notices(session, kind: str) -> list[OutboxItem]:
    return list(
        session.execute(
            select(OutboxItem).where(OutboxItem.kind == kind).order_by(OutboxItem.id)
        ).scalars()
    )


def test_periodic_jobs_are_declared() -> None:
    names = {j.name: j.func for j in PERIODIC}
    for name in ("remind-pending", "close-resolved", "send-announcements", "apply-retention"):
        assert callable(getattr(jobs, names[name].rsplit(".", 1)[1]))


def test_applicant_is_told_when_an_institution_has_the_question(session, rt, clock) -> None:
    contact = make_contact(session, email="aino@example.org")
    ticket = make_ticket(session, NOW, contact=contact, region="17")
    tickets.forward(session, rt, ticket, "osao-applicants", "OSAO tietää", None)
    [item] = notices(session, "ticket_forwarded")
    assert item.to_address == "aino@example.org"
    assert "Oulun seudun ammattiopisto" in item.payload["text"]
    assert item.payload["subject"] == f"Kysymyksesi on välitetty eteenpäin [#{ticket.number}]"
    # back to a desk is no news to the applicant
    tickets.forward(session, rt, ticket, "pohjois-pohjanmaa-applicants", "", None)
    assert len(notices(session, "ticket_forwarded")) == 1


def test_pending_reminder_once_per_quiet_spell(session, rt, clock) -> None:
    contact = make_contact(session, email="odottaja@example.org", language="sv")
    quiet = make_ticket(
        session,
        NOW - timedelta(days=20),
        contact=contact,
        status="pending",
        language="sv",
        updated_at=NOW - timedelta(days=8),
    )
    recent = make_ticket(
        session,
        NOW - timedelta(days=3),
        contact=make_contact(session, email="r@example.org"),
        status="pending",
        updated_at=NOW - timedelta(days=3),
    )
    open_one = make_ticket(
        session,
        NOW - timedelta(days=20),
        contact=make_contact(session, email="o@example.org"),
        status="open",
        updated_at=NOW - timedelta(days=20),
    )
    session.commit()
    assert followups.remind_pending(rt) == 1
    [item] = notices(session, "pending_reminder")
    assert item.ticket_id == quiet.id
    assert item.payload["subject"] == f"Vi väntar på ditt svar [#{quiet.number}]"
    assert "för 7 dagar sedan" in item.payload["text"]
    assert item.status == "sent"  # dispatched after commit, sent inline
    assert followups.remind_pending(rt) == 0  # once
    # the contact's activity starts a new spell; quiet again → a new reminder
    quiet.updated_at = NOW + timedelta(days=1)
    session.commit()
    clock.append(NOW + timedelta(days=9))
    assert followups.remind_pending(rt) == 2  # the quiet one again, and now the recent one
    assert {i.ticket_id for i in notices(session, "pending_reminder")} == {quiet.id, recent.id}
    assert open_one.id not in {i.ticket_id for i in notices(session, "pending_reminder")}


def test_desk_policy_sets_the_days(session, rt, clock) -> None:
    desk_policies.set_policy(
        session,
        "staff",
        retention_months=12,
        reminder_days=2,
        close_after_days=3,
        user=None,
        now=NOW,
    )
    staff = make_ticket(
        session,
        NOW - timedelta(days=5),
        contact=make_contact(session, email="s@osao.fi"),
        audience="staff",
        queue="osao-staff",
        organization="osao",
        status="pending",
        updated_at=NOW - timedelta(days=2, minutes=1),
    )
    session.commit()
    assert followups.remind_pending(rt) == 1
    [item] = notices(session, "pending_reminder")
    assert item.ticket_id == staff.id and "Virkailijoiden tuki" in item.payload["text"]
    assert desk_policies.policy(session, "applicant").reminder_days == 7


def test_resolved_tickets_close_automatically(session, rt, clock) -> None:
    old = make_ticket(
        session,
        NOW - timedelta(days=30),
        contact=make_contact(session, phone="+358401230000"),
        channel="sms",
        status="resolved",
        resolved_at=NOW - timedelta(days=15),
    )
    young = make_ticket(
        session,
        NOW - timedelta(days=30),
        contact=make_contact(session, email="y@example.org"),
        status="resolved",
        resolved_at=NOW - timedelta(days=13),
    )
    session.commit()
    assert followups.close_resolved(rt) == 1
    session.refresh(old)
    session.refresh(young)
    assert (old.status, old.closed_at) == ("closed", NOW)
    assert young.status == "resolved"
    [item] = notices(session, "closed_automatically")
    assert item.channel == "sms" and item.to_address == "+358401230000"
    assert item.payload["text"].startswith(f"Kysymyksesi {old.number} on suljettu.")
    event = session.execute(
        select(AuditEvent).where(
            AuditEvent.ticket_id == old.id, AuditEvent.kind == "status_changed"
        )
    ).scalar_one()
    assert event.actor == "system" and event.data == {"from": "resolved", "to": "closed"}
    assert followups.close_resolved(rt) == 0
    assert session.get(Ticket, old.id).status == "closed"
