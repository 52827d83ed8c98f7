"""/status/<token>: the applicant's view of one ticket, a new message to it,
"my question is answered", and nothing of any other ticket."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from servicedesk import tickets
from servicedesk.models import AuditEvent, Message, Ticket, TicketLink
from tests.integration.portal_client import PDF, PortalClient, make_portal


@pytest.fixture
def portal(app, client) -> PortalClient:
    return make_portal(app, client)


def text(response) -> str:
    return response.get_data(as_text=True)


def ask(portal, session, *, email: str = "aino@example.org", message: str = "", **data) -> Ticket:
    """A question through the contact form; returns its ticket."""
    response = portal.post(
        "/contact?lang=fi",
        {"email": email, "message": message or f"Kysymys osoitteesta {email}", **data},
    )
    assert response.status_code == 200, text(response)
    number = re.search(r"<strong>(20\d\d-\d+)</strong>", text(response)).group(1)
    return session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()


def reload(session, ticket: Ticket) -> Ticket:
    return session.get(Ticket, ticket.id, populate_existing=True)


def public_bodies(session, ticket: Ticket) -> list[str]:
    return [
        m.body_text
        for m in session.execute(
            select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id)
        ).scalars()
    ]


def test_status_page_shows_the_public_thread_only(portal, session, rt) -> None:
    ticket = ask(portal, session, message="Milloin yhteishaku alkaa?")
    tickets.add_note(session, ticket, "SISÄINEN: soita rehtorille", None, rt.now())
    tickets.reply(session, rt, ticket, "Yhteishaku alkaa maaliskuussa.", None)
    session.commit()
    response = portal.get(f"/status/{ticket.status_token}?lang=fi")
    page = text(response)
    assert response.status_code == 200
    assert f"<h1>Kysymyksesi {ticket.number}</h1>" in page
    assert f"<title>Kysymys {ticket.number} – " in page
    assert "Vastattu. Odotamme vastaustasi." in page  # pending, in plain words
    assert "Milloin yhteishaku alkaa?" in page
    assert "Yhteishaku alkaa maaliskuussa." in page
    assert "Vahvistus meiltä" in page  # the acknowledgement, labelled as such
    assert "SISÄINEN" not in page
    # the routed-ticket notification to the experts is not public either
    notification = session.execute(
        select(Message).where(Message.ticket_id == ticket.id, Message.is_public.is_(False))
    ).scalars()
    for hidden in notification:
        assert hidden.body_text[:40] not in page
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response.headers["X-Robots-Tag"]


@pytest.mark.parametrize(
    "token",
    ["unknown-token-that-is-long-enough-123", "short", "a" * 65, "ZZZZ%27%20OR%201=1--xxxxxxxxx"],
)
def test_unknown_token_is_a_plain_private_404(portal, session, token) -> None:
    ask(portal, session)
    response = portal.get(f"/status/{token}?lang=sv")
    assert response.status_code == 404
    page = text(response)
    assert "Sidan hittades inte" in page
    assert "2026-" not in page and "20" + "25-" not in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_a_token_reaches_its_own_ticket_and_nothing_else(portal, session) -> None:
    mine = ask(portal, session, email="mina@example.org", message="MINUN kysymykseni")
    other = ask(portal, session, email="muu@example.org", message="TOISEN kysymys")
    page = text(portal.get(f"/status/{mine.status_token}"))
    assert "MINUN kysymykseni" in page and "TOISEN" not in page and other.number not in page
    # writing through my token lands on my ticket only
    response = portal.post(
        f"/status/{mine.status_token}/messages",
        {"message": "Lisäkysymys"},
        form_path=f"/status/{mine.status_token}",
    )
    assert response.status_code == 302
    assert "Lisäkysymys" in public_bodies(session, reload(session, mine))
    assert "Lisäkysymys" not in public_bodies(session, reload(session, other))
    # another ticket's number in the message does not move it there
    portal.post(
        f"/status/{mine.status_token}/messages",
        {"message": f"Katso myös [#{other.number}]"},
        form_path=f"/status/{mine.status_token}",
    )
    assert not any("Katso myös" in b for b in public_bodies(session, reload(session, other)))


def test_a_new_message_joins_the_ticket_and_reopens_it(portal, session, rt, mail) -> None:
    ticket = ask(portal, session)
    tickets.reply(session, rt, ticket, "Mitä koulutusta haet?", None)
    session.commit()
    assert reload(session, ticket).status == "pending"
    token = ticket.status_token
    before = session.execute(select(func.count()).select_from(Ticket)).scalar_one()
    response = portal.post(
        f"/status/{token}/messages?lang=en",
        {"message": "Lähihoitajakoulutusta.", "attachments": [(io.BytesIO(PDF), "liite.pdf")]},
        form_path=f"/status/{token}?lang=en",
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/status/{token}?lang=en#messages")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert session.execute(select(func.count()).select_from(Ticket)).scalar_one() == before
    ticket = reload(session, ticket)
    assert ticket.status == "open"
    last = session.execute(
        select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id.desc()).limit(1)
    ).scalar_one()
    assert last.direction == "inbound" and last.channel == "web" and last.is_public
    assert last.body_text == "Lähihoitajakoulutusta."
    assert [a.filename for a in last.attachments] == ["liite.pdf"]
    page = text(portal.get(response.headers["Location"]))
    assert "Your message was sent." in page
    assert "Lähihoitajakoulutusta." in page and "liite.pdf" in page


def test_message_errors_are_shown_on_the_status_page(portal, session) -> None:
    ticket = ask(portal, session)
    response = portal.post(
        f"/status/{ticket.status_token}/messages?lang=en",
        {"message": ""},
        form_path=f"/status/{ticket.status_token}",
    )
    page = text(response)
    assert response.status_code == 422
    assert 'href="#message"' in page and "Write your message." in page
    assert "<title>Error: Question " in page
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_a_message_on_a_closed_ticket_opens_a_linked_new_ticket(portal, session, rt, mail) -> None:
    ticket = ask(portal, session, email="suljettu@example.org")
    tickets.change_status(session, ticket, "closed", None, "done", rt.now())
    session.commit()
    page = text(portal.get(f"/status/{ticket.status_token}?lang=en"))
    assert "This question is closed. If you write now, we open a new question" in page
    assert "Is your question answered?" not in page
    response = portal.post(
        f"/status/{ticket.status_token}/messages?lang=en",
        {"message": "Vielä yksi asia."},
        form_path=f"/status/{ticket.status_token}",
    )
    assert response.status_code == 302
    follow_up = session.execute(
        select(Ticket).where(Ticket.id != ticket.id).order_by(Ticket.id.desc()).limit(1)
    ).scalar_one()
    assert response.headers["Location"].endswith(
        f"/status/{follow_up.status_token}?lang=en#messages"
    )
    link = session.execute(
        select(TicketLink).where(TicketLink.ticket_id == follow_up.id)
    ).scalar_one()
    assert link.other_ticket_id == ticket.id and link.kind == "follow_up"
    assert reload(session, ticket).status == "closed"
    page = text(portal.get(response.headers["Location"]))
    assert f"we opened a new question {follow_up.number}" in page
    assert "Vielä yksi asia." in page
    assert any(follow_up.number in m.subject for m in mail.to("suljettu@example.org"))


def test_marking_answered_resolves_the_ticket_as_the_contact(portal, session) -> None:
    ticket = ask(portal, session, email="valmis@example.org", name="Veera Valmis")
    token = ticket.status_token
    response = portal.post(
        f"/status/{token}/answered?lang=sv", {}, form_path=f"/status/{token}?lang=sv"
    )
    assert response.status_code == 302
    ticket = reload(session, ticket)
    assert ticket.status == "resolved" and ticket.resolved_at is not None
    event = session.execute(
        select(AuditEvent)
        .where(AuditEvent.ticket_id == ticket.id, AuditEvent.kind == "status_changed")
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).scalar_one()
    assert event.actor == "Veera Valmis <valmis@example.org> (contact, on the status page)"
    assert event.actor_user_id is None
    assert event.data == {"from": "new", "to": "resolved"}
    page = text(portal.get(response.headers["Location"]))
    assert "Tack. Vi har markerat din fråga som besvarad." in page
    assert "Besvarad. Du kan fortfarande skriva till oss här nedan." in page
    assert "Ja, jag har fått svar" not in page  # offered only while the question is open


def test_the_honeypot_on_the_status_page_stores_nothing(portal, session) -> None:
    ticket = ask(portal, session)
    before = public_bodies(session, ticket)
    response = portal.post(
        f"/status/{ticket.status_token}/messages?lang=en",
        {"message": "spam", "website": "http://spam.example"},
        form_path=f"/status/{ticket.status_token}",
    )
    assert response.status_code == 400
    assert "The form was not sent" in text(response)
    assert public_bodies(session, reload(session, ticket)) == before


def test_marking_answered_needs_the_csrf_token(portal, client, session) -> None:
    ticket = ask(portal, session)
    response = client.post(f"/status/{ticket.status_token}/answered")
    assert response.status_code == 400
    assert reload(session, ticket).status == "new"


def test_a_merged_ticket_shows_the_same_contacts_conversation(portal, session, rt) -> None:
    first = ask(portal, session, email="sama@example.org", message="Ensimmäinen viesti")
    second = ask(portal, session, email="sama@example.org", message="Toinen viesti")
    tickets.merge(session, first, second, None, rt.now())
    session.commit()
    page = text(portal.get(f"/status/{first.status_token}"))
    assert f"<h1>Kysymyksesi {second.number}</h1>" in page
    assert "Ensimmäinen viesti" in page and "Toinen viesti" in page
    assert "Kirjoita meille" in page


def test_a_ticket_merged_into_someone_elses_shows_nothing_of_it(portal, session, rt) -> None:
    mine = ask(portal, session, email="oma@example.org", message="Oma viesti")
    stranger = ask(portal, session, email="vieras@example.org", message="Vieraan viesti")
    tickets.merge(session, mine, stranger, None, rt.now())
    session.commit()
    page = text(portal.get(f"/status/{mine.status_token}"))
    assert f"<h1>Kysymyksesi {mine.number}</h1>" in page
    assert "Olemme yhdistäneet tämän kysymyksen toiseen kysymykseen." in page
    assert "Vieraan viesti" not in page and stranger.number not in page
    assert "Kirjoita meille" not in page and "Saitko vastauksen" not in page
    response = portal.post(
        f"/status/{mine.status_token}/messages",
        {"message": "Päästäänkö läpi?"},
        form_path="/contact",
    )
    assert response.status_code == 404
    assert not any("Päästäänkö" in b for b in public_bodies(session, reload(session, stranger)))
