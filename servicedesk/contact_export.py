"""Everything held about one contact, for a request to see it (GDPR
right of access): the contact, every email address and phone number, every
ticket with all its messages (internal ones marked), attachments (names
and sizes), calls, survey answers and announcement deliveries.  As JSON
and as a readable HTML page; each export is audited.  Internal notes are
included and marked, for the administrator to review before handing the
export over."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicedesk import audit
from servicedesk.errors import NotFoundError
from servicedesk.models import (
    AnnouncementDelivery,
    CallRecord,
    Contact,
    Message,
    Survey,
    Ticket,
)
from servicedesk.resources import templates_dir
from servicedesk.retention import find_contact


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _message(message: Message) -> dict[str, Any]:
    return {
        "direction": message.direction,
        "channel": message.channel,
        "from": message.sender,
        "from_name": message.sender_name,
        "to": message.recipient,
        "subject": message.subject,
        "text": message.body_text,
        "internal": not message.is_public,
        "created_at": _iso(message.created_at),
        "attachments": [
            {"filename": a.filename, "content_type": a.content_type, "size": a.size}
            for a in message.attachments
            if a.deleted_at is None
        ],
    }


def _ticket(session: Session, ticket: Ticket) -> dict[str, Any]:
    messages = session.execute(
        select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id)
    ).scalars()
    calls = session.execute(
        select(CallRecord).where(CallRecord.ticket_id == ticket.id).order_by(CallRecord.id)
    ).scalars()
    survey = session.execute(
        select(Survey).where(Survey.ticket_id == ticket.id)
    ).scalar_one_or_none()
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "desk": ticket.audience,
        "channel": ticket.channel,
        "topic": ticket.topic,
        "language": ticket.language,
        "region": ticket.region_code,
        "municipality": ticket.municipality_code,
        "queue": ticket.queue_id,
        "organization": ticket.organization_id,
        "created_at": _iso(ticket.created_at),
        "resolved_at": _iso(ticket.resolved_at),
        "closed_at": _iso(ticket.closed_at),
        "messages": [_message(m) for m in messages],
        "calls": [
            {
                "from": c.from_number,
                "to": c.to_number,
                "municipality_heard": c.municipality_heard,
                "duration_seconds": c.duration_seconds,
                "outcome": c.outcome,
                "notes": c.notes,
                "created_at": _iso(c.created_at),
            }
            for c in calls
        ],
        "survey": None
        if survey is None or survey.answered_at is None
        else {
            "score": survey.score,
            "comment": survey.comment,
            "answered_at": _iso(survey.answered_at),
        },
    }


def collect(session: Session, contact: Contact, now: datetime) -> dict[str, Any]:
    """The export of one contact as JSON-ready data."""
    tickets = list(
        session.execute(
            select(Ticket).where(Ticket.contact_id == contact.id).order_by(Ticket.id)
        ).scalars()
    )
    own = {t.id for t in tickets}
    elsewhere = [
        m
        for m in session.execute(
            select(Message).where(Message.author_contact_id == contact.id).order_by(Message.id)
        ).scalars()
        if m.ticket_id not in own
    ]
    deliveries = session.execute(
        select(AnnouncementDelivery)
        .where(AnnouncementDelivery.contact_id == contact.id)
        .order_by(AnnouncementDelivery.id)
    ).scalars()
    return {
        "exported_at": now.isoformat(),
        "contact": {
            "id": contact.id,
            "name": contact.name,
            "language": contact.language,
            "municipality": contact.municipality_code,
            "region": contact.region_code,
            "staff_organization": contact.staff_organization_id,
            "created_at": _iso(contact.created_at),
        },
        "identities": [
            {
                "kind": i.kind,
                "value": i.value,
                "sms_opted_out_at": _iso(i.sms_opted_out_at),
                "created_at": _iso(i.created_at),
            }
            for i in contact.identities
        ],
        "tickets": [_ticket(session, t) for t in tickets],
        "messages_on_other_tickets": [_message(m) for m in elsewhere],
        "announcements": [
            {
                "announcement_id": d.announcement_id,
                "channel": d.channel,
                "address": d.address,
                "status": d.status,
                "created_at": _iso(d.created_at),
            }
            for d in deliveries
        ],
    }


def export_contact(
    session: Session, identifier: str, *, actor: audit.Actor, now: datetime
) -> dict[str, Any]:
    """Everything about the contact known by an email address or phone
    number; the export is audited (the caller commits)."""
    contact = find_contact(session, identifier)
    if contact is None:
        raise NotFoundError("no contact with that email address or phone number")
    data = collect(session, contact, now)
    audit.record(
        session,
        None,
        actor,
        "contact_exported",
        "",
        {"contact_id": contact.id, "tickets": [t["number"] for t in data["tickets"]]},
        at=now,
    )
    return data


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(templates_dir() / "retention")),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def export_html(data: dict[str, Any]) -> str:
    """The export as a standalone, readable HTML page."""
    return _environment().get_template("contact_export.html").render(data=data)
