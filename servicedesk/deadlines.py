"""Response deadlines in business hours (each organisation's opening hours,
Finnish public holidays), and the scheduled job that takes a forwarded
ticket back to the regional desk when the institution has not answered in
time, so no applicant waits on a silent inbox."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from routing import add_business_hours
from servicedesk import audit, notify, outbox
from servicedesk.business_hours import FINNISH_HOLIDAYS as FINNISH_HOLIDAYS
from servicedesk.business_hours import FinnishHolidays as FinnishHolidays
from servicedesk.business_hours import opening_hours as opening_hours
from servicedesk.lifecycle import ACTIVE
from servicedesk.models import Message, Organization, Queue, Ticket
from servicedesk.runtime import Runtime

logger = logging.getLogger(__name__)
RETURN_KINDS = {"institution", "apprenticeship_office"}


def response_due(session: Session, queue_id: str, start: datetime) -> datetime | None:
    queue = session.get(Queue, queue_id)
    if queue is None or queue.response_hours <= 0:
        return None
    hours = opening_hours(session.get(Organization, queue.organization_id))
    if hours.is_never_open:
        return None
    return add_business_hours(start, queue.response_hours, hours, FINNISH_HOLIDAYS)


def regional_queue(session: Session, ticket: Ticket) -> Queue | None:
    """Where a ticket goes back to: the regional desk's queue of its
    audience, else the national desk (staff: the national staff helpdesk)."""
    kinds = ["staff_helpdesk"] if ticket.audience == "staff" else ["regional_desk", "national_desk"]
    candidates = session.execute(
        select(Queue, Organization)
        .join(Organization, Organization.id == Queue.organization_id)
        .where(
            Organization.kind.in_(kinds),
            Organization.active,
            Queue.active,
            Queue.audience == ticket.audience,
        )
        .order_by(Organization.position, Queue.position)
    ).all()
    regional = [
        q
        for q, o in candidates
        if o.kind == "regional_desk" and o.region_code == ticket.region_code
    ]
    national = [q for q, o in candidates if o.kind != "regional_desk"]
    chosen = regional or national
    return chosen[0] if chosen else None


def return_overdue_forwards(runtime: Runtime) -> int:
    """Forwarded tickets whose institution let the deadline pass unanswered."""
    now = runtime.now()
    moved = 0
    with runtime.db.session() as session:
        overdue = (
            session.execute(
                select(Ticket)
                .join(Organization, Organization.id == Ticket.organization_id)
                .where(
                    Ticket.status.in_([s.value for s in ACTIVE]),
                    Ticket.forwarded_at.is_not(None),
                    Ticket.due_at < now,
                    Organization.kind.in_(RETURN_KINDS),
                )
                .limit(500)
                # Skipping a ticket someone is answering right now: their
                # answer, once committed, keeps it where it is.
                .with_for_update(of=Ticket, skip_locked=True)
            )
            .scalars()
            .all()
        )
        for ticket in overdue:
            answered = session.execute(
                select(Message.id)
                .where(
                    Message.ticket_id == ticket.id,
                    Message.direction == "outbound",
                    Message.auto_kind == "none",
                    Message.created_at >= ticket.forwarded_at,
                )
                .limit(1)
            ).first()
            if answered:
                continue
            target = regional_queue(session, ticket)
            if target is None or target.id == ticket.queue_id:
                continue
            audit.record(
                session,
                ticket.id,
                audit.SYSTEM,
                "returned_to_region",
                f"{ticket.organization_id} did not answer within the response time; "
                f"back to {target.id}",
                {
                    "from_queue": ticket.queue_id,
                    "from_organization": ticket.organization_id,
                    "to_queue": target.id,
                    "to_organization": target.organization_id,
                    "due_at": ticket.due_at.isoformat() if ticket.due_at else None,
                },
                at=now,
            )
            ticket.queue_id = target.id
            ticket.organization_id = target.organization_id
            ticket.assignee_id = None
            ticket.forwarded_at = None
            ticket.due_at = response_due(session, target.id, now)
            ticket.updated_at = now
            notify.notify_routed(
                session,
                runtime,
                ticket,
                "",
                ["returned: the institution did not answer within the response time"],
            )
            moved += 1
        queued = outbox.pending_for(session, [t.id for t in overdue])
        session.commit()
    outbox.dispatch(runtime, queued)
    if moved:
        logger.info("returned %d overdue forwarded tickets to their regional desks", moved)
    return moved
