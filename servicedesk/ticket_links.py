"""Relations between two tickets: merging a duplicate into another (its
messages and calls move, it is closed with a link) and linking related
tickets.  Both tickets get the audit event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from servicedesk import audit
from servicedesk.audit import Actor
from servicedesk.errors import ConflictError, ValidationError
from servicedesk.lifecycle import TicketStatus
from servicedesk.models import CallRecord, Message, Ticket, TicketLink, User


def _actor(user: User | None) -> Actor:
    return Actor.of(user) if user is not None else Actor("api")


def merge(
    session: Session, source: Ticket, target: Ticket, user: User | None, now: datetime
) -> None:
    """Move every message of ``source`` into ``target`` and close ``source``
    with a link to it; both tickets get the event.

    Both tickets are locked first (in id order), as the intake locks the
    ticket a reply joins: a reply being taken in meanwhile either joins
    ``source`` before the merge, whose messages then move with the rest,
    or waits and joins ``target``; it is never left on the closed ticket.
    """
    if source.id == target.id:
        raise ValidationError("a ticket cannot be merged into itself", field="ticket")
    session.execute(
        select(Ticket)
        .where(Ticket.id.in_([source.id, target.id]))
        .order_by(Ticket.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    if source.merged_into_id is not None:
        raise ConflictError("the ticket was already merged into another", field="ticket")
    if source.audience != target.audience:
        raise ValidationError("applicant and staff tickets cannot be merged", field="ticket")
    if target.status == TicketStatus.CLOSED:
        raise ConflictError("the ticket to merge into is closed", field="ticket")
    moved = session.execute(
        update(Message)
        .where(Message.ticket_id == source.id)
        .values(ticket_id=target.id)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    session.execute(
        update(CallRecord)
        .where(CallRecord.ticket_id == source.id)
        .values(ticket_id=target.id)
        .execution_options(synchronize_session=False)
    )
    session.add(TicketLink(ticket_id=source.id, other_ticket_id=target.id, kind="merged"))
    audit.record(
        session,
        source.id,
        _actor(user),
        "merged_into",
        f"merged into {target.number}",
        {"into": target.number, "messages": moved},
        at=now,
    )
    audit.record(
        session,
        target.id,
        _actor(user),
        "merged_from",
        f"{source.number} merged here",
        {"from": source.number, "messages": moved},
        at=now,
    )
    source.merged_into_id = target.id
    if source.status != TicketStatus.CLOSED:
        audit.record(
            session,
            source.id,
            _actor(user),
            "status_changed",
            f"merged into {target.number}",
            {"from": source.status, "to": "closed"},
            at=now,
        )
        source.status = TicketStatus.CLOSED
        source.closed_at = now
    source.updated_at = target.updated_at = now


def link(session: Session, ticket: Ticket, other: Ticket, user: User | None, now: datetime) -> None:
    if ticket.id == other.id:
        raise ValidationError("a ticket cannot be linked to itself", field="ticket")
    exists = session.execute(
        select(TicketLink.id).where(
            TicketLink.ticket_id == ticket.id,
            TicketLink.other_ticket_id == other.id,
            TicketLink.kind == "related",
        )
    ).first()
    if exists:
        return
    session.add(TicketLink(ticket_id=ticket.id, other_ticket_id=other.id, kind="related"))
    audit.record(
        session,
        ticket.id,
        _actor(user),
        "linked",
        f"related to {other.number}",
        {"other": other.number},
        at=now,
    )
    audit.record(
        session,
        other.id,
        _actor(user),
        "linked",
        f"related to {ticket.number}",
        {"other": ticket.number},
        at=now,
    )
