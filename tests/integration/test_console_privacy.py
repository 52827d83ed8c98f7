"""Privacy in the console: each desk's retention policy (edited and
audited), the retention run as a dry run first and then, confirmed, for
real; a contact's export as JSON and as a page; erasure on request after
a confirmation.  All audited; 404 for everyone but administrators."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from servicedesk import desk_policies
from servicedesk.models import AuditEvent, Contact, Message, Ticket, TicketRedaction
from servicedesk.models.retention import (
    DEFAULT_CLOSE_AFTER_DAYS,
    DEFAULT_REMINDER_DAYS,
    DEFAULT_RETENTION_MONTHS,
)
from tests.integration import console_kit
from tests.integration.console_kit import fast_sign_in, make_user, token
from tests.integration.issue7_kit import make_contact, make_ticket

app = console_kit.app  # the fixture, with compiled templates shared between tests

HOME = "/console/admin/privacy"
DEFAULTS = [DEFAULT_RETENTION_MONTHS, DEFAULT_REMINDER_DAYS, DEFAULT_CLOSE_AFTER_DAYS]


def post(client, url: str, data: dict):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": token(client), **data})


def audited(session, kind: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(session.execute(select(AuditEvent).where(AuditEvent.kind == kind)).scalars())


@pytest.fixture
def admin(client, session):  # type: ignore[no-untyped-def]
    user = make_user(session, "admin")
    session.commit()
    fast_sign_in(client, user)
    return client


@pytest.fixture
def old_ticket(session, rt):  # type: ignore[no-untyped-def]
    """Closed three years ago: past the default 24 months."""
    contact = make_contact(session, email="vanha@example.org")
    closed = rt.now() - timedelta(days=3 * 365)
    made = make_ticket(
        session, closed, contact=contact, status="closed", closed_at=closed, body="Salaisuus"
    )
    session.commit()
    return made


def test_home_shows_both_desks_policies(admin) -> None:
    page = admin.get(HOME).get_data(as_text=True)
    assert 'name="applicant-retention_months"' in page and 'value="24"' in page
    assert 'name="staff-close_after_days"' in page


def test_policy_change_is_saved_and_audited(admin, session) -> None:
    values = {"retention_months": "12", "reminder_days": "5", "close_after_days": "10"}
    response = post(admin, HOME + "/policies/staff", {f"staff-{k}": v for k, v in values.items()})
    assert response.status_code == 302
    session.expire_all()
    policy = desk_policies.policy(session, "staff")
    assert (policy.retention_months, policy.reminder_days, policy.close_after_days) == (12, 5, 10)
    [event] = audited(session, "desk_policy_changed")
    assert event.data == {"desk": "staff", "from": DEFAULTS, "to": [12, 5, 10]}
    refused = post(
        admin,
        HOME + "/policies/staff",
        {
            "staff-retention_months": "500",
            "staff-reminder_days": "5",
            "staff-close_after_days": "1",
        },
    )
    assert refused.status_code == 400
    assert 'id="staff-retention_months-error"' in refused.get_data(as_text=True)


def test_dry_run_first_then_the_confirmed_run(admin, session, old_ticket) -> None:
    dry = post(admin, HOME + "/retention", {"action": "dry"})
    assert dry.status_code == 200
    assert old_ticket.number in dry.get_data(as_text=True)
    session.expire_all()
    assert session.get(TicketRedaction, old_ticket.id) is None  # nothing removed yet
    assert len(audited(session, "retention_dry_run")) == 1
    unconfirmed = post(admin, HOME + "/retention", {"action": "run"})
    assert unconfirmed.status_code == 400
    assert session.get(TicketRedaction, old_ticket.id) is None
    done = post(admin, HOME + "/retention", {"action": "run", "confirm": "yes"})
    assert done.status_code == 200
    assert "What was removed" in done.get_data(as_text=True)
    session.expire_all()
    assert session.get(TicketRedaction, old_ticket.id) is not None
    body = session.execute(
        select(Message.body_text).where(Message.ticket_id == old_ticket.id)
    ).scalar_one()
    assert "Salaisuus" not in body
    assert len(audited(session, "retention_run")) == 1
    assert audited(session, "personal_data_removed")[0].ticket_id == old_ticket.id


def test_export_as_json_and_as_a_page(admin, session, old_ticket) -> None:
    download = post(admin, HOME + "/export", {"identifier": "VANHA@example.org", "format": "json"})
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(download.get_data(as_text=True))
    assert [t["number"] for t in data["tickets"]] == [old_ticket.number]
    page = post(admin, HOME + "/export", {"identifier": "vanha@example.org", "format": "html"})
    assert "Salaisuus" in page.get_data(as_text=True)
    assert "script-src" not in page.headers["Content-Security-Policy"]
    assert len(audited(session, "contact_exported")) == 2
    missing = post(admin, HOME + "/export", {"identifier": "ei@example.org", "format": "json"})
    assert missing.status_code == 404
    assert 'id="export-error"' in missing.get_data(as_text=True)


def test_erasure_shows_what_goes_then_erases_when_confirmed(admin, session, rt) -> None:
    contact = make_contact(session, email="poista@example.org")
    ticket = make_ticket(session, rt.now(), contact=contact, status="open", body="Henkilötieto")
    session.commit()
    first = post(admin, HOME + "/erase", {"identifier": "poista@example.org"})
    assert first.status_code == 200
    assert ticket.number in first.get_data(as_text=True)
    unconfirmed = post(
        admin, HOME + "/erase", {"identifier": "poista@example.org", "action": "erase"}
    )
    assert unconfirmed.status_code == 400
    session.expire_all()
    assert session.get(Contact, contact.id).anonymized_at is None
    done = post(
        admin,
        HOME + "/erase",
        {"identifier": "poista@example.org", "action": "erase", "confirm": "yes"},
    )
    assert done.status_code == 200
    session.expire_all()
    assert session.get(Contact, contact.id).anonymized_at is not None
    assert session.get(Ticket, ticket.id).status == "closed"
    assert len(audited(session, "contact_erased")) == 1
    again = post(admin, HOME + "/erase", {"identifier": "poista@example.org"})
    assert again.status_code == 404  # nobody is known by that address any more


@pytest.mark.parametrize("role", ["agent", "expert", "superuser", "helpdesk"])
def test_everyone_but_admins_gets_404(client, session, old_ticket, role: str) -> None:
    user = make_user(session, role)
    session.commit()
    fast_sign_in(client, user)
    assert client.get(HOME).status_code == 404
    for action, data in (
        ("/retention", {"action": "run", "confirm": "yes"}),
        ("/export", {"identifier": "vanha@example.org", "format": "json"}),
        ("/erase", {"identifier": "vanha@example.org", "action": "erase", "confirm": "yes"}),
        ("/policies/staff", {"staff-retention_months": "1"}),
    ):
        assert post(client, HOME + action, data).status_code == 404, action
    session.expire_all()
    assert session.get(TicketRedaction, old_ticket.id) is None
