"""Announcements on the public pages: the ones published for the contact
form on both contact forms, those for the status pages on the status page,
each only between its start and its end, in the page's language where it
is written in it, in a region with a heading."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from servicedesk import announcements
from tests.integration.issue7_kit import at, make_contact, make_ticket
from tests.integration.portal_client import PortalClient, make_portal

NOW = at("2026-08-10 06:00")
CONGESTION = {
    "fi": {
        "title": "Ruuhkaa",
        "body": "Vastaamme tavallista hitaammin.\nKiitos kärsivällisyydestä.",
    },
    "en": {"title": "Busy days", "body": "We answer more slowly than usual."},
}
OUTAGE = {"fi": {"title": "Katko tilasivulla", "body": "Tilasivu on hidas tänään."}}


@pytest.fixture
def clock(rt) -> list:
    moments = [NOW]
    rt.clock = lambda: moments[-1]
    return moments


@pytest.fixture
def portal(app, client, clock) -> PortalClient:
    return make_portal(app, client)


def publish(session, texts, places, *, kind="congestion", starts=NOW, ends=NOW + timedelta(days=2)):
    made = announcements.publish(
        session,
        kind=kind,
        texts=texts,
        places=places,
        starts_at=starts,
        ends_at=ends,
        user=None,
        now=NOW,
    )
    session.commit()
    return made


def text(response) -> str:
    return response.get_data(as_text=True)


def region(page: str) -> str:
    match = re.search(r'<section class="announcements".*?</section>', page, re.S)
    return match.group(0) if match else ""


def test_contact_forms_show_the_contact_form_announcements(portal, session) -> None:
    publish(session, CONGESTION, ["contact_form"])
    publish(session, OUTAGE, ["status_pages"], kind="technical")
    page = text(portal.get("/contact?lang=en"))
    shown = region(page)
    assert 'aria-labelledby="announcements-title"' in shown
    assert '<h2 id="announcements-title">Announcements</h2>' in shown
    assert "Busy period:</span> <span>Busy days</span>" in shown
    assert "We answer more slowly than usual." in shown
    assert "Katko" not in page  # published for the status pages only
    finnish = region(text(portal.get("/contact?lang=fi")))
    assert "Ruuhka-aika:</span> <span>Ruuhkaa</span>" in finnish
    assert "Vastaamme tavallista hitaammin.\nKiitos kärsivällisyydestä." in finnish
    # not written in Swedish: the Finnish text, marked as Finnish
    swedish = region(text(portal.get("/contact?lang=sv")))
    assert '<h2 id="announcements-title">Meddelanden</h2>' in swedish
    assert 'Hög belastning:</span> <span lang="fi">Ruuhkaa</span>' in swedish
    assert '<p class="announcement-body" lang="fi">' in swedish
    assert "Ruuhkaa" in region(text(portal.get("/staff/contact?lang=fi")))


def test_only_between_start_and_end_and_until_withdrawn(portal, session, clock) -> None:
    later = publish(
        session,
        {"fi": {"title": "Hakuaika päättyy", "body": "Hakuaika päättyy huomenna."}},
        ["contact_form"],
        kind="deadline",
        starts=NOW + timedelta(hours=1),
        ends=NOW + timedelta(hours=3),
    )
    assert region(text(portal.get("/contact?lang=fi"))) == ""  # nothing on yet
    clock.append(NOW + timedelta(hours=1))
    assert "Määräaika:</span> <span>Hakuaika päättyy</span>" in text(portal.get("/contact?lang=fi"))
    clock.append(NOW + timedelta(hours=3))
    assert "Hakuaika päättyy" not in text(portal.get("/contact?lang=fi"))  # ended
    clock.append(NOW + timedelta(hours=2))
    announcements.withdraw(session, later, None, clock[-1])
    session.commit()
    assert "Hakuaika päättyy" not in text(portal.get("/contact?lang=fi"))


def test_status_page_shows_the_status_page_announcements(portal, session) -> None:
    contact = make_contact(session, email="aino@example.org")
    ticket = make_ticket(session, NOW - timedelta(days=1), contact=contact)
    publish(session, CONGESTION, ["contact_form"])
    publish(session, OUTAGE, ["status_pages"], kind="technical")
    publish(
        session,
        {"fi": {"title": "Konsolissa huoltokatko", "body": "Vain virkailijoille."}},
        ["console"],
        kind="technical",
    )
    page = text(portal.get(f"/status/{ticket.status_token}?lang=fi"))
    shown = region(page)
    assert "Tekninen ongelma:</span> <span>Katko tilasivulla</span>" in shown
    assert "Ruuhkaa" not in page and "Konsolissa" not in page
    assert region(text(portal.get("/kb?lang=fi"))) == ""
