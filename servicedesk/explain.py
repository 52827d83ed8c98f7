"""``servicedesk route explain``: why a ticket went where it went, from the
reasons recorded with the decision and every later move in the audit trail."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicedesk.errors import NotFoundError
from servicedesk.models import AuditEvent, Ticket

MOVES = {"routed", "assigned", "forwarded", "returned_to_region", "merged_into"}


def explain(session: Session, number: str) -> list[str]:
    ticket = session.execute(select(Ticket).where(Ticket.number == number)).scalar_one_or_none()
    if ticket is None:
        raise NotFoundError(f"no ticket {number}")
    lines = [
        f"Ticket {ticket.number} ({ticket.audience}, {ticket.channel}, {ticket.language}, "
        f"topic {ticket.topic})",
        f"  now in queue {ticket.queue_id or '-'} of {ticket.organization_id or '-'}, "
        f"region {ticket.region_code or 'unknown'}, status {ticket.status}",
    ]
    rule = ticket.routing.get("rule")
    lines.append("Routing decision" + (f" (rule {rule}):" if rule else ":"))
    for reason in ticket.routing.get("reasons", []):
        lines.append(f"  - {reason}")
    events = (
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.ticket_id == ticket.id, AuditEvent.kind.in_(MOVES))
            .order_by(AuditEvent.id)
        )
        .scalars()
        .all()
    )
    later = [e for e in events if e.kind != "routed"]
    if later:
        lines.append("Since then:")
        for event in later:
            when = event.created_at.strftime("%Y-%m-%d %H:%M UTC")
            detail = ", ".join(f"{k}={v}" for k, v in event.data.items() if v is not None)
            lines.append(
                f"  - {when} {event.kind} by {event.actor}"
                + (f": {event.reason}" if event.reason else "")
                + (f" ({detail})" if detail else "")
            )
    return lines
