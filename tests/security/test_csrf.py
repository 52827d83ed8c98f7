"""CSRF: every state-changing form of the application (each POST route
outside the token-authenticated API and the signature-checked Twilio
webhooks, walked from the URL map) refuses a post without a valid token,
signed in or not, and changes nothing; the same post with the token is
not refused for that reason (so the check is what refused it)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from servicedesk.models import AuditEvent, IntakeRecord, Message, OutboxItem, Ticket
from tests.integration.console_kit import fast_sign_in, speak_english, token
from tests.security.conftest import World, routes

EXEMPT_PREFIXES = ("/api/", "/webhooks/")
REFUSAL_WORDS = ("CSRF", "expired", "open for a long time")


def counts(session) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return tuple(
        session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (Ticket, Message, AuditEvent, OutboxItem, IntakeRecord)
    )


def form_posts(app, world: World) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(e, p) for e, p in routes(app, world, "POST") if not p.startswith(EXEMPT_PREFIXES)]


def test_there_are_many_forms_to_protect(app, world: World) -> None:  # type: ignore[no-untyped-def]
    posts = dict(form_posts(app, world))
    assert len(posts) >= 40
    for endpoint in ("console.reply", "portal.contact", "console.login", "console.admin_user_new"):
        assert endpoint in posts


@pytest.mark.parametrize("who", ["anonymous", "admin"])
@pytest.mark.parametrize("token_sent", ["none", "forged"])
def test_every_form_refuses_a_post_without_a_valid_token(
    app, client, session, world: World, who: str, token_sent: str
) -> None:  # type: ignore[no-untyped-def]
    speak_english(client)
    if who == "admin":
        fast_sign_in(client, world.admin)
    before = counts(session)
    data = {"email": "x@example.org", "message": "Hei", "reply-body": "Vastaus", "note-body": "x"}
    if token_sent == "forged":
        data["csrf_token"] = "IjQ2YzY3ZGE2NjE4ZjQ2NGM.forged.signature"
    for endpoint, path in form_posts(app, world):
        response = client.post(path, data=data)
        body = response.get_data(as_text=True)
        assert response.status_code == 400, (endpoint, path, response.status_code)
        assert any(word in body for word in REFUSAL_WORDS), (endpoint, body[:300])
    assert counts(session) == before


def test_with_the_token_the_same_post_goes_through(client, session, world: World) -> None:  # type: ignore[no-untyped-def]
    fast_sign_in(client, world.admin)
    number = world.osao_ticket.number
    answer = client.post(
        f"/console/tickets/{number}/note",
        data={"csrf_token": token(client), "note-body": "Sisäinen huomio"},
    )
    assert answer.status_code == 302
    session.expire_all()
    assert (
        session.execute(
            select(func.count(Message.id)).where(
                Message.ticket_id == world.osao_ticket.id, Message.direction == "note"
            )
        ).scalar_one()
        == 1
    )
