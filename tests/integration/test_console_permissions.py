"""Every role × every console action, on the Flask test client with CSRF
on: what a user may see works, anything else is 404 (never 403), so a
guessed number, message or attachment id reveals nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from servicedesk import knowledge
from servicedesk.knowledge import Draft
from servicedesk.models import Attachment, CallRecord, Message, Ticket, TicketLink, User
from tests.integration import console_kit
from tests.integration.console_kit import (
    fast_sign_in,
    make_contact,
    make_ticket,
    make_user,
    token,
)

app = console_kit.app  # the fixture, with compiled templates shared between tests

# name → (audience, queue, organisation, a queue every role that sees it may forward to)
TICKETS = {
    "osao_applicant": ("applicant", "osao-applicants", "osao", "pohjois-pohjanmaa-applicants"),
    "national_applicant": ("applicant", "national-triage", "national-desk", "uusimaa-applicants"),
    "osao_staff": ("staff", "osao-staff", "osao", "helpdesk-content"),
    "helpdesk_staff": ("staff", "helpdesk-technical", "staff-helpdesk", "helpdesk-content"),
}
VISIBLE = {
    "admin": set(TICKETS),
    "agent": set(TICKETS),
    "helpdesk": {"osao_staff", "helpdesk_staff"},
    "superuser": {"osao_staff"},
    "expert": {"osao_applicant", "osao_staff"},
}


@dataclass
class World:
    user: User
    tickets: dict[str, Ticket]
    duplicates: dict[str, Ticket]
    attachments: dict[str, Attachment]
    html_messages: dict[str, Message]
    calls: dict[str, CallRecord]
    article_id: int = 0  # a published knowledge-base article, for kb_insert


@pytest.fixture
def world(rt, session, request, action: str) -> World:  # type: ignore[no-untyped-def]
    """One ticket per desk and organisation kind; duplicates, attachments
    and recordings only for the actions that need them."""
    role = request.param
    now = rt.now()
    needs_pairs = action in {"merge", "link"}
    needs_files = action in {"download_attachment", "retry_delivery"}
    stored = rt.storage.put(b"%PDF-1.4 test") if needs_files else None
    w = World(make_user(session, role), {}, {}, {}, {}, {})
    if action == "kb_insert":
        article = knowledge.create(
            session,
            texts={"fi": Draft("Yhteishaun aikataulu", "Yhteishaku alkaa maaliskuussa.")},
            topics=("application",),
            author=None,
            now=now,
        )
        knowledge.publish(session, article, None, now)
        w.article_id = article.id
    for name, (audience, queue, org, _target) in TICKETS.items():
        contact = make_contact(session, email=f"{name}@example.org")
        ticket = make_ticket(
            session, now, queue=queue, organization=org, audience=audience, contact=contact
        )
        w.tickets[name] = ticket
        if needs_pairs:
            w.duplicates[name] = make_ticket(
                session, now, queue=queue, organization=org, audience=audience, contact=contact
            )
        if stored is not None:
            message = session.execute(
                select(Message).where(Message.ticket_id == ticket.id)
            ).scalar_one()
            message.body_html = "<p>Hei <b>maailma</b></p>"
            w.html_messages[name] = message
            w.attachments[name] = Attachment(
                message_id=message.id,
                filename="liite.pdf",
                content_type="application/pdf",
                size=stored.size,
                sha256=stored.sha256,
                storage_key=stored.key,
            )
            w.calls[name] = CallRecord(
                call_sid=f"CA{name}",
                ticket_id=ticket.id,
                from_number="+358401234567",
                recording_data=b"ID3fake-mp3",
            )
            session.add_all([w.attachments[name], w.calls[name]])
    session.commit()
    return w


def _post(client: Any, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data={"csrf_token": token(client), **data})


def view_list(client, w: World, name: str) -> tuple[int, bool]:  # type: ignore[no-untyped-def]
    audience = TICKETS[name][0]
    slug = "applicants" if audience == "applicant" else "staff"
    response = client.get(f"/console/desks/{slug}/")
    listed = w.tickets[name].number in response.get_data(as_text=True)
    if response.status_code == 404:
        return 404, False
    queue = client.get(f"/console/desks/{slug}/queues/{TICKETS[name][1]}")
    return (200 if listed and queue.status_code == 200 else 404), listed


def view_ticket(client, w: World, name: str) -> int:  # type: ignore[no-untyped-def]
    return client.get(f"/console/tickets/{w.tickets[name].number}").status_code


def act(path: str, data: Callable[[World, str], dict[str, Any]]) -> Callable[..., int]:
    def run(client, w: World, name: str) -> int:  # type: ignore[no-untyped-def]
        url = f"/console/tickets/{w.tickets[name].number}/{path}"
        return _post(client, url, data(w, name)).status_code

    return run


def download(client, w: World, name: str) -> int:  # type: ignore[no-untyped-def]
    codes = {
        client.get(f"/console/attachments/{w.attachments[name].id}").status_code,
        client.get(f"/console/messages/{w.html_messages[name].id}/html").status_code,
        client.get(f"/console/calls/{w.calls[name].id}/recording").status_code,
    }
    assert len(codes) == 1, codes
    return codes.pop()


def retry(client, w: World, name: str) -> int:  # type: ignore[no-untyped-def]
    # No failed delivery: a visible ticket answers 409, an invisible one 404.
    url = f"/console/tickets/{w.tickets[name].number}/messages/{w.html_messages[name].id}/retry"
    code = _post(client, url, {}).status_code
    return 302 if code == 409 else code


ACTIONS: dict[str, Callable[..., Any]] = {
    "view_ticket": view_ticket,
    "reply": act("reply", lambda w, n: {"reply-body": "Vastaus", "reply-send": "1"}),
    "insert_template": act(
        "reply", lambda w, n: {"reply-body": "Hei,", "reply-snippet": "thanks", "reply-insert": "1"}
    ),
    "kb_insert": act(
        "kb-insert", lambda w, n: {"reply-body": "Hei,", "kb_insert": f"answer:{w.article_id}"}
    ),
    "note": act("note", lambda w, n: {"note-body": "Sisäinen huomio"}),
    "assign": act("assign", lambda w, n: {"assign-assignee": str(w.user.id)}),
    "take": act("take", lambda w, n: {}),
    "forward": act("forward", lambda w, n: {"forward-queue": TICKETS[n][3], "forward-note": "x"}),
    "status": act("status", lambda w, n: {"status-status": "open"}),
    "priority_topic": act(
        "fields", lambda w, n: {"fields-priority": "high", "fields-topic": "funding"}
    ),
    "merge": act("merge", lambda w, n: {"merge-number": w.duplicates[n].number}),
    "link": act("link", lambda w, n: {"link-number": w.duplicates[n].number}),
    "log_call": act(
        "calls",
        lambda w, n: {
            "call-direction": "inbound",
            "call-number": "+358401234567",
            "call-summary": "Soitti hakuajoista",
            "call-minutes": "3",
        },
    ),
    "download_attachment": download,
    "retry_delivery": retry,
}
# The inserts show the ticket again with the draft filled in.
SUCCESS = {"view_ticket": 200, "download_attachment": 200, "insert_template": 200, "kb_insert": 200}


@pytest.mark.parametrize("world", list(VISIBLE), indirect=True, ids=list(VISIBLE))
@pytest.mark.parametrize("action", ["view_list", *ACTIONS])
def test_role_may_act_only_on_what_it_sees(client, session, world: World, action: str) -> None:
    fast_sign_in(client, world.user)
    visible = VISIBLE[world.user.role]
    for name in TICKETS:
        if action == "view_list":
            code, listed = view_list(client, world, name)
            assert listed == (name in visible), (world.user.role, name)
            continue
        code = ACTIONS[action](client, world, name)
        expected = SUCCESS.get(action, 302) if name in visible else 404
        assert code == expected, (world.user.role, action, name, code)
    _check_effects(session, world, action, visible)


def _effect(session, w: World, action: str, name: str) -> bool | None:  # type: ignore[no-untyped-def]
    """Whether the action changed the ticket (None: nothing to check)."""
    t = session.get(Ticket, w.tickets[name].id)
    if action in {"take", "assign"}:
        return bool(t.assignee_id == w.user.id)
    if action == "status":
        return bool(t.status == "open")
    if action == "priority_topic":
        return (t.priority, t.topic) == ("high", "funding")
    if action == "forward":
        return bool(t.queue_id == TICKETS[name][3])
    if action == "merge":
        return bool(session.get(Ticket, w.duplicates[name].id).merged_into_id == t.id)
    if action == "link":
        link = select(TicketLink).where(TicketLink.ticket_id == t.id, TicketLink.kind == "related")
        return session.execute(link).first() is not None
    return None


def _check_effects(session, w: World, action: str, visible: set[str]) -> None:  # type: ignore[no-untyped-def]
    session.expire_all()
    for name in w.tickets:
        changed = _effect(session, w, action, name)
        if changed is not None:
            assert changed == (name in visible), (w.user.role, action, name)
