"""Factories for the tests of issue 7 (knowledge base, templates,
announcements, surveys, reports, retention): contacts, users and tickets
made directly with fixed timestamps, so every figure a test expects can be
worked out by hand."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicedesk.models import Attachment, Contact, ContactIdentity, Message, Ticket, User
from servicedesk.numbering import next_number
from tests.integration.console_kit import add_first_message


def at(text: str) -> datetime:
    """An instant from "2026-03-02 10:00" (UTC)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def make_contact(
    session: Session,
    *,
    name: str = "Aino Hakija",
    email: str | None = None,
    phone: str | None = None,
    language: str | None = "fi",
    opted_out: datetime | None = None,
) -> Contact:
    contact = Contact(name=name, language=language)
    session.add(contact)
    session.flush()
    if email:
        session.add(ContactIdentity(contact_id=contact.id, kind="email", value=email))
    if phone:
        session.add(
            ContactIdentity(
                contact_id=contact.id, kind="phone", value=phone, sms_opted_out_at=opted_out
            )
        )
    session.flush()
    session.refresh(contact)
    return contact


def make_user(
    session: Session,
    *,
    role: str = "agent",
    organization: str | None = "national-desk",
    email: str | None = None,
    phone: str | None = None,
    name: str = "Agent Tester",
    language: str = "fi",
) -> User:
    user = User(
        email=email or f"{role}-{secrets.token_hex(4)}@desk.test",
        name=name,
        role=role,
        organization_id=organization,
        phone=phone,
        ui_language=language,
    )
    session.add(user)
    session.flush()
    return user


def make_ticket(
    session: Session,
    created: datetime,
    *,
    contact: Contact | None = None,
    queue: str = "national-triage",
    organization: str = "national-desk",
    audience: str = "applicant",
    channel: str = "email",
    status: str = "open",
    language: str = "fi",
    region: str | None = None,
    topic: str = "application",
    subject: str = "Kysymys hakemisesta",
    body: str = "Milloin yhteishaku alkaa?",
    **fields: Any,
) -> Ticket:
    ticket = Ticket(
        number=next_number(session, created),
        subject=subject,
        status=status,
        audience=audience,
        channel=channel,
        language=language,
        region_code=region,
        topic=topic,
        queue_id=queue,
        organization_id=organization,
        contact_id=contact.id if contact else None,
        status_token=secrets.token_urlsafe(24),
        created_at=created,
        updated_at=fields.pop("updated_at", created),
        **fields,
    )
    session.add(ticket)
    session.flush()
    add_first_message(session, ticket, contact, channel, subject, body, created)
    return ticket


def attach(session: Session, rt: Any, ticket: Ticket, data: bytes, name: str) -> Attachment:
    """A stored file on the ticket's first message."""
    message = (
        session.execute(select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id))
        .scalars()
        .first()
    )
    stored = rt.storage.put(data)
    row = Attachment(
        message_id=message.id,
        filename=name,
        content_type="application/pdf",
        size=stored.size,
        sha256=stored.sha256,
        storage_key=stored.key,
    )
    session.add(row)
    session.flush()
    return row
