"""Fixtures of the security lane: the application on both databases (the
shared ``app``/``client``/``rt`` fixtures), a small world of tickets in two
organisations, and every route of the application with concrete values
for its arguments, so a test can walk all of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from servicedesk.models import Attachment, Message, Ticket, User
from tests.integration.console_kit import app, make_contact, make_ticket, make_user  # noqa: F401

SKIPPED_ARGS = {"filename"}  # static files: not ours to walk


@dataclass
class World:
    """Two organisations' tickets and the people who may (not) see them."""

    admin: User
    agent: User
    expert_osao: User
    expert_omnia: User
    osao_ticket: Ticket
    omnia_ticket: Ticket
    staff_ticket: Ticket
    osao_message: Message
    omnia_message: Message
    omnia_attachment: Attachment


@pytest.fixture
def world(rt, session: Session) -> World:  # type: ignore[no-untyped-def]
    now = rt.now()
    contact = make_contact(session, email="hakija@example.org", phone="+358401234567")
    osao = make_ticket(session, now, queue="osao-applicants", organization="osao", contact=contact)
    omnia = make_ticket(
        session,
        now,
        queue="omnia-applicants",
        organization="omnia",
        subject="Omnian kysymys",
        body="Vain Omnian nähtäväksi",
    )
    staff = make_ticket(
        session,
        now,
        queue="helpdesk-technical",
        organization="staff-helpdesk",
        audience="staff",
    )
    omnia_message = session.query(Message).filter_by(ticket_id=omnia.id).one()
    omnia_message.body_html = "<p>Omnian liite</p>"
    stored = rt.storage.put(b"%PDF-1.4 omnia only")
    attachment = Attachment(
        message_id=omnia_message.id,
        filename="omnia.pdf",
        content_type="application/pdf",
        size=stored.size,
        sha256=stored.sha256,
        storage_key=stored.key,
    )
    session.add(attachment)
    world = World(
        admin=make_user(session, "admin"),
        agent=make_user(session, "agent"),
        expert_osao=make_user(session, "expert", organization="osao"),
        expert_omnia=make_user(session, "expert", organization="omnia"),
        osao_ticket=osao,
        omnia_ticket=omnia,
        staff_ticket=staff,
        osao_message=session.query(Message).filter_by(ticket_id=osao.id).one(),
        omnia_message=omnia_message,
        omnia_attachment=attachment,
    )
    session.commit()
    return world


def route_values(world: World) -> dict[str, Any]:
    """A value for every URL argument of the application: real objects
    where they exist, harmless ones elsewhere."""
    return {
        "number": world.osao_ticket.number,
        "message_id": world.osao_message.id,
        "attachment_id": world.omnia_attachment.id,
        "call_id": 1,
        "announcement_id": 1,
        "record_id": 1,
        "token_id": 1,
        "user_id": world.agent.id,
        "article_id": 1,
        "version": 1,
        "slug": "applicants",
        "queue_id": "osao-applicants",
        "desk": "applicant",
        "event": "acknowledgement",
        "language": "fi",
        "variant": "default",
        "token": "not-a-real-token-0123456789",
        "topic": "application",
    }


def routes(app: Flask, world: World, method: str) -> list[tuple[str, str]]:  # noqa: F811
    """(endpoint, concrete path) of every rule that answers ``method``."""
    values = route_values(world)
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        if method not in (rule.methods or set()) or rule.arguments & SKIPPED_ARGS:
            continue
        arguments = {name: values[name] for name in rule.arguments}
        found.append((rule.endpoint, adapter.build(rule.endpoint, arguments, method=method)))
    return sorted(set(found))
