"""Moving tickets: forward with a note (experts told, audit says from
where, to where, why) and the scheduled return to the regional desk when a
forwarded institution leaves the response time unused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from servicedesk import jobs, tickets
from servicedesk.errors import ValidationError
from servicedesk.models import AuditEvent, Ticket
from servicedesk.users import add_user


def enquiry(api, body: str = "Hei, asun Oulussa. Milloin haku alkaa?") -> str:  # type: ignore[no-untyped-def]
    response = api.post("/enquiries", json={"email": "f@example.org", "body": body})
    assert response.status_code == 201
    return response.get_json()["ticket"]["number"]


def test_forward_to_an_institution_notifies_and_audits(api, rt, session, mail) -> None:
    number = enquiry(api)
    ticket = session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
    agent = add_user(session, "aki@desk.test", name="Aki Agent", role="agent")
    tickets.forward(session, rt, ticket, "vamia-applicants", "Vamia knows this programme", agent)
    session.commit()
    assert ticket.queue_id == "vamia-applicants" and ticket.organization_id == "vamia"
    assert ticket.forwarded_at is not None and ticket.due_at is not None
    event = session.execute(
        select(AuditEvent).where(AuditEvent.ticket_id == ticket.id, AuditEvent.kind == "forwarded")
    ).scalar_one()
    assert event.actor_user_id == agent.id
    assert event.reason == "Vamia knows this programme"
    assert event.data["to_queue"] == "vamia-applicants"
    assert event.data["from_queue"] != "vamia-applicants"


def test_forward_refuses_a_queue_of_the_other_desk(api, rt, session) -> None:
    ticket = session.execute(select(Ticket).where(Ticket.number == enquiry(api))).scalar_one()
    with pytest.raises(ValidationError, match="staff"):
        tickets.forward(session, rt, ticket, "osao-staff", "", None)


def test_silent_institution_returns_the_ticket_to_the_regional_desk(api, rt, session) -> None:
    ticket = session.execute(select(Ticket).where(Ticket.number == enquiry(api))).scalar_one()
    tickets.forward(session, rt, ticket, "osao-applicants", "please answer", None)
    session.commit()
    assert ticket.due_at is not None
    due = ticket.due_at
    rt.clock = lambda: due + timedelta(minutes=1)
    assert jobs.check_deadlines() == 1
    session.refresh(ticket)
    assert ticket.organization_id == "pohjois-pohjanmaa-desk"
    event = session.execute(
        select(AuditEvent).where(
            AuditEvent.ticket_id == ticket.id, AuditEvent.kind == "returned_to_region"
        )
    ).scalar_one()
    assert "did not answer" in event.reason
    assert jobs.check_deadlines() == 0  # not moved twice


def test_an_answered_forward_stays(api, rt, session) -> None:
    ticket = session.execute(select(Ticket).where(Ticket.number == enquiry(api))).scalar_one()
    tickets.forward(session, rt, ticket, "osao-applicants", "", None)
    tickets.reply(session, rt, ticket, "Haku alkaa maaliskuussa.", None)
    session.commit()
    due = ticket.due_at
    rt.clock = lambda: due + timedelta(hours=1)
    assert jobs.check_deadlines() == 0


def test_an_enquiry_routed_straight_to_an_institution_also_returns_when_unanswered(
    api, rt, session
) -> None:  # type: ignore[no-untyped-def]
    response = api.post(
        "/enquiries",
        json={"email": "g@example.org", "body": "Milloin haku alkaa?", "institution": "osao"},
    )
    assert response.status_code == 201, response.get_json()
    number = response.get_json()["ticket"]["number"]
    ticket = session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
    assert ticket.organization_id == "osao"
    assert ticket.forwarded_at is not None and ticket.due_at is not None
    due = ticket.due_at
    rt.clock = lambda: due + timedelta(minutes=1)
    assert jobs.check_deadlines() == 1
    session.refresh(ticket)
    assert ticket.organization_id == "pohjois-pohjanmaa-desk"


def test_an_enquiry_routed_to_a_regional_desk_has_no_forward_to_return(api, session) -> None:  # type: ignore[no-untyped-def]
    ticket = session.execute(select(Ticket).where(Ticket.number == enquiry(api))).scalar_one()
    assert ticket.organization_id == "pohjois-pohjanmaa-desk"
    assert ticket.forwarded_at is None
