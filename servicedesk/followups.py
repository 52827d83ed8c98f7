"""The two periodic follow-ups of a ticket's life:

- a pending ticket (answered, waiting for the contact) that has been quiet
  for the desk's ``reminder_days`` gets one "we are waiting for your reply"
  notice;
- a resolved ticket that has stayed resolved for the desk's
  ``close_after_days`` is closed, and the contact is told.

Each run handles at most ``limit`` tickets per desk, commits, and hands the
outbox rows it made to the outbound queue; running twice is harmless.

The tickets are locked as they are read, skipping any a message is being
taken in for at that moment (the intake locks the ticket it joins): that
message reopens the ticket, which must not then be closed, or reminded
of a reply just received, by a run that read it before.  A ticket
skipped is looked at again by the next run.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from servicedesk import audit, auto_notices, desk_policies, outbox
from servicedesk.lifecycle import TicketStatus, check_move
from servicedesk.models import AuditEvent, Ticket
from servicedesk.runtime import Runtime

logger = logging.getLogger(__name__)
BATCH = 200


def _reminded_since_last_change() -> object:
    return exists().where(
        AuditEvent.ticket_id == Ticket.id,
        AuditEvent.kind == auto_notices.audit_kind("pending_reminder"),
        AuditEvent.created_at >= Ticket.updated_at,
    )


def due_reminders(session: Session, desk: str, now: datetime, limit: int = BATCH) -> list[Ticket]:
    """Pending tickets of a desk, quiet for its reminder days, not yet
    reminded since they last changed."""
    days = desk_policies.policy(session, desk).reminder_days
    return list(
        session.execute(
            select(Ticket)
            .where(
                Ticket.audience == desk,
                Ticket.status == TicketStatus.PENDING,
                Ticket.updated_at <= now - timedelta(days=days),
                ~_reminded_since_last_change(),  # type: ignore[operator]
            )
            .order_by(Ticket.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
    )


def remind_pending(runtime: Runtime, limit: int = BATCH) -> int:
    """Send the waiting-for-your-reply notices that are due; how many were queued."""
    now = runtime.now()
    sent = 0
    with runtime.db.session() as session:
        touched: list[int] = []
        for desk in desk_policies.DESKS:
            days = desk_policies.policy(session, desk).reminder_days
            for ticket in due_reminders(session, desk, now, limit):
                touched.append(ticket.id)
                if auto_notices.send_notice(
                    session, runtime, ticket, "pending_reminder", days=days
                ):
                    sent += 1
        queued = outbox.pending_for(session, touched)
        session.commit()
    outbox.dispatch(runtime, queued)
    if sent:
        logger.info("queued %d waiting-for-your-reply reminders", sent)
    return sent


def due_closings(session: Session, desk: str, now: datetime, limit: int = BATCH) -> list[Ticket]:
    days = desk_policies.policy(session, desk).close_after_days
    return list(
        session.execute(
            select(Ticket)
            .where(
                Ticket.audience == desk,
                Ticket.status == TicketStatus.RESOLVED,
                Ticket.resolved_at <= now - timedelta(days=days),
            )
            .order_by(Ticket.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
    )


def close_ticket(session: Session, ticket: Ticket, days: int, now: datetime) -> None:
    """Resolved → closed by the system, audited as such."""
    goal = check_move(ticket.status, TicketStatus.CLOSED)
    audit.record(
        session,
        ticket.id,
        audit.SYSTEM,
        "status_changed",
        f"closed automatically: resolved {days} days ago with no new messages",
        {"from": ticket.status, "to": goal.value},
        at=now,
    )
    ticket.status = goal.value
    ticket.closed_at = now
    ticket.updated_at = now


def close_resolved(runtime: Runtime, limit: int = BATCH) -> int:
    """Close the resolved tickets whose time is up; how many were closed."""
    now = runtime.now()
    closed = 0
    with runtime.db.session() as session:
        touched: list[int] = []
        for desk in desk_policies.DESKS:
            days = desk_policies.policy(session, desk).close_after_days
            for ticket in due_closings(session, desk, now, limit):
                close_ticket(session, ticket, days, now)
                auto_notices.send_notice(
                    session, runtime, ticket, "closed_automatically", days=days
                )
                touched.append(ticket.id)
                closed += 1
        queued = outbox.pending_for(session, touched)
        session.commit()
    outbox.dispatch(runtime, queued)
    if closed:
        logger.info("closed %d resolved tickets automatically", closed)
    return closed
