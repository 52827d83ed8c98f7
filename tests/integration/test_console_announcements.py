"""Announcements in the console: an administrator publishes one with its
texts, kind, times and places; the console shows it as a banner on every
page while it runs; it is withdrawn; it is sent to a target group after
checking the recipients, and the delivery report counts every message and
says who was skipped and why.  Everyone else gets 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from servicedesk import announcements
from servicedesk.models import Announcement, AnnouncementDelivery, AuditEvent
from tests.integration import console_kit
from tests.integration.console_kit import fast_sign_in, make_user, token
from tests.integration.issue7_kit import make_contact, make_ticket

app = console_kit.app  # the fixture, with compiled templates shared between tests


def post(client, url: str, data: dict):  # type: ignore[no-untyped-def]
    return client.post(url, data={"csrf_token": token(client), **data})


def publish(session, rt, places=("console",), **kw):  # type: ignore[no-untyped-def]
    made = announcements.publish(
        session,
        kind=kw.pop("kind", "technical"),
        texts=kw.pop("texts", {"en": {"title": "Mail is slow", "body": "Answers are late."}}),
        places=list(places),
        starts_at=kw.pop("starts_at", rt.now() - timedelta(hours=1)),
        ends_at=kw.pop("ends_at", rt.now() + timedelta(days=1)),
        user=None,
        now=rt.now(),
    )
    session.commit()
    return made


@pytest.fixture
def admin(client, session):  # type: ignore[no-untyped-def]
    user = make_user(session, "admin")
    session.commit()
    fast_sign_in(client, user)
    return client


def test_publish_with_texts_places_and_times(admin, session, rt) -> None:
    form = admin.get("/console/admin/announcements/new").get_data(as_text=True)
    assert 'type="datetime-local"' in form
    response = post(
        admin,
        "/console/admin/announcements/new",
        {
            "kind": "deadline",
            "places": ["contact_form", "console"],
            "starts": "2026-03-01T08:00",
            "ends": "2026-03-18T15:00",
            "title_fi": "Haku päättyy",
            "body_fi": "Yhteishaku päättyy 18.3. klo 15.",
            "title_en": "The application period ends",
            "body_en": "Apply by 18 March at 15.00.",
            "sms_en": "Apply by 18 March 15.00.",
        },
    )
    assert response.status_code == 302
    row = session.execute(select(Announcement)).scalar_one()
    assert (row.kind, row.places) == ("deadline", ["contact_form", "console"])
    assert row.starts_at.isoformat() == "2026-03-01T06:00:00+00:00"  # Finnish winter time
    assert row.ends_at.isoformat() == "2026-03-18T13:00:00+00:00"
    assert row.texts["en"] == {
        "title": "The application period ends",
        "body": "Apply by 18 March at 15.00.",
        "sms": "Apply by 18 March 15.00.",
    }
    assert session.execute(
        select(AuditEvent).where(AuditEvent.kind == "announcement_published")
    ).scalar_one()


def test_refused_form_says_why(admin, session) -> None:
    response = post(
        admin,
        "/console/admin/announcements/new",
        {"kind": "deadline", "starts": "huomenna", "title_fi": "Vain otsikko"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Give the start as a date and time." in page
    assert "write both the title and the text" in page
    assert "Choose where it is shown." in page
    assert session.execute(select(Announcement)).first() is None


def test_banner_on_every_console_page_until_withdrawn(admin, session, rt) -> None:
    shown = publish(session, rt)
    publish(
        session, rt, places=("contact_form",), texts={"en": {"title": "Form only", "body": "x"}}
    )
    publish(
        session,
        rt,
        starts_at=rt.now() + timedelta(days=2),
        ends_at=None,
        texts={"en": {"title": "Later", "body": "y"}},
    )
    for url in ("/console/", "/console/kb/", "/console/reports", "/console/password"):
        page = admin.get(url).get_data(as_text=True)
        assert "Technical problem: Mail is slow" in page, url
        assert "Form only" not in page and "Later" not in page
    assert post(admin, f"/console/admin/announcements/{shown.id}/withdraw", {}).status_code == 302
    assert "Mail is slow" not in admin.get("/console/").get_data(as_text=True)
    listing = admin.get("/console/admin/announcements").get_data(as_text=True)
    assert "withdrawn" in listing and "scheduled" in listing


def test_check_recipients_then_send_and_read_the_report(admin, session, rt, mail) -> None:
    notice = publish(session, rt)
    reachable = make_contact(session, email="aino@example.org")
    no_email = make_contact(session, phone="+358401234567")
    for contact in (reachable, no_email):
        make_ticket(
            session, rt.now(), contact=contact, queue="osao-applicants", organization="osao"
        )
    session.commit()
    url = f"/console/admin/announcements/{notice.id}"
    target = {"queues": ["osao-applicants"], "channel": "email"}
    checked = post(admin, url + "/send", {**target, "action": "check"})
    page = checked.get_data(as_text=True)
    assert "Recipients found: 2." in page and "no email address (1)" in page
    assert session.execute(select(AnnouncementDelivery)).first() is None  # nothing sent yet
    sent = post(admin, url + "/send", {**target, "action": "send"})
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/deliveries")
    assert [m.to_address for m in mail.sent] == ["aino@example.org"]  # the first batch went at once
    report = admin.get(url + "/deliveries").get_data(as_text=True)
    assert "Recipients: 2." in report
    assert "no email address" in report and f"contact {no_email.id}" in report
    assert "sent" in report


def test_send_needs_a_group(admin, session, rt) -> None:
    notice = publish(session, rt)
    response = post(
        admin,
        f"/console/admin/announcements/{notice.id}/send",
        {"channel": "sms", "action": "send"},
    )
    assert response.status_code == 400
    assert "Choose at least one queue, region or organisation." in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["agent", "expert", "superuser", "helpdesk"])
def test_everyone_but_admins_gets_404(client, session, rt, role: str) -> None:
    notice = publish(session, rt)
    user = make_user(session, role)
    session.commit()
    fast_sign_in(client, user)
    assert "Mail is slow" in client.get("/console/").get_data(as_text=True)  # the banner
    for url in ("", "/new", f"/{notice.id}", f"/{notice.id}/deliveries"):
        assert client.get("/console/admin/announcements" + url).status_code == 404
    withdraw = post(client, f"/console/admin/announcements/{notice.id}/withdraw", {})
    assert withdraw.status_code == 404
