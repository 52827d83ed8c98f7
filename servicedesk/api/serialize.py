"""Tickets, messages and events as the API shows them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicedesk.models import Attachment, AuditEvent, Message, Ticket


def iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def ticket_summary(ticket: Ticket) -> dict[str, Any]:
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "audience": ticket.audience,
        "channel": ticket.channel,
        "queue": ticket.queue_id,
        "organization": ticket.organization_id,
        "region": ticket.region_code,
        "topic": ticket.topic,
        "language": ticket.language,
        "priority": ticket.priority,
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
    }


def enquiry_result(session: Session, ticket: Ticket) -> dict[str, Any]:
    return {
        "ticket": {
            "number": ticket.number,
            "status": ticket.status,
            "audience": ticket.audience,
            "queue": ticket.queue_id,
            "organization": ticket.organization_id,
            "region": ticket.region_code,
            "topic": ticket.topic,
            "language": ticket.language,
        },
        "routing": {"reasons": list(ticket.routing.get("reasons", []))},
    }


def message_json(message: Message, attachments: list[Attachment]) -> dict[str, Any]:
    return {
        "id": message.id,
        "direction": message.direction,
        "channel": message.channel,
        "sender": message.sender,
        "recipient": message.recipient,
        "subject": message.subject,
        "body": message.body_text,
        "auto_kind": message.auto_kind,
        "public": message.is_public,
        "delivery_status": message.delivery_status,
        "delivery_error": message.delivery_error,
        "created_at": iso(message.created_at),
        "attachments": [
            {"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size}
            for a in attachments
        ],
    }


def ticket_detail(session: Session, ticket: Ticket) -> dict[str, Any]:
    messages = list(
        session.execute(
            select(Message)
            .where(Message.ticket_id == ticket.id)
            .order_by(Message.created_at, Message.id)
        ).scalars()
    )
    attachments: dict[int, list[Attachment]] = {}
    if messages:
        for a in session.execute(
            select(Attachment).where(
                Attachment.message_id.in_([m.id for m in messages]), Attachment.deleted_at.is_(None)
            )
        ).scalars():
            attachments.setdefault(a.message_id, []).append(a)
    events = session.execute(
        select(AuditEvent).where(AuditEvent.ticket_id == ticket.id).order_by(AuditEvent.id)
    ).scalars()
    return {
        "ticket": {
            **ticket_summary(ticket),
            "assignee": ticket.assignee.email if ticket.assignee else None,
            "municipality": ticket.municipality_code,
            "due_at": iso(ticket.due_at),
            "first_response_at": iso(ticket.first_response_at),
            "resolved_at": iso(ticket.resolved_at),
            "closed_at": iso(ticket.closed_at),
            "routing": {
                "reasons": list(ticket.routing.get("reasons", [])),
                "rule": ticket.routing.get("rule"),
            },
        },
        "messages": [message_json(m, attachments.get(m.id, [])) for m in messages],
        "events": [
            {
                "kind": e.kind,
                "actor": e.actor,
                "reason": e.reason,
                "data": e.data,
                "created_at": iso(e.created_at),
            }
            for e in events
        ],
    }
