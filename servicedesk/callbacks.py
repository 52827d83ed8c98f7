"""Call backs: the callers the desk still owes a call.

A missed call or a voicemail writes a ``callback_requested`` audit event
on its ticket (``intake.apply``), naming the number to ring and the queue
the call was for: the regional queue the caller was routed to, which is
not the ticket's own queue when the call joined the caller's open ticket
elsewhere.  An agent's "Called back" writes ``callback_done``.  A request
with no ``callback_done`` after it on its ticket is pending: that is the
whole state, so no table of its own is needed.  A ticket that is closed
or merged away owes nothing any more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session, aliased

from servicedesk import audit
from servicedesk.errors import ValidationError
from servicedesk.lifecycle import TicketStatus
from servicedesk.models import AuditEvent, Ticket, User

REQUESTED = "callback_requested"
DONE = "callback_done"
#: A later ``callback_done`` on the same ticket, in ``_pending_requests``:
#: made once, since an alias made per call builds its columns anew each time.
_LATER = aliased(AuditEvent, name="later")


@dataclass(frozen=True, slots=True)
class PendingCallback:
    """One ticket's owed call back in one queue; ``calls`` counts the
    missed calls and voicemails since the last call back."""

    ticket: Ticket
    queue_id: str | None
    number: str
    outcome: str
    recording_url: str | None
    requested_at: datetime
    calls: int


def _pending_requests(
    session: Session, *where: ColumnElement[bool]
) -> list[tuple[AuditEvent, Ticket]]:
    answered_later = (
        select(_LATER.id)
        .where(
            _LATER.ticket_id == AuditEvent.ticket_id,
            _LATER.kind == DONE,
            _LATER.id > AuditEvent.id,
        )
        .exists()
    )
    rows = session.execute(
        select(AuditEvent, Ticket)
        .join(Ticket, Ticket.id == AuditEvent.ticket_id)
        .where(
            AuditEvent.kind == REQUESTED,
            ~answered_later,
            Ticket.merged_into_id.is_(None),
            Ticket.status != TicketStatus.CLOSED.value,
            *where,
        )
        .order_by(AuditEvent.id)
    ).all()
    return [(event, ticket) for event, ticket in rows]


def _grouped(rows: list[tuple[AuditEvent, Ticket]]) -> list[PendingCallback]:
    """One entry per ticket and queue: the latest request's number, the
    first request's time (how long the caller has waited)."""
    found: dict[tuple[int, str | None], PendingCallback] = {}
    for event, ticket in rows:
        data = event.data or {}
        key = (ticket.id, data.get("queue") or ticket.queue_id)
        earlier = found.get(key)
        found[key] = PendingCallback(
            ticket=ticket,
            queue_id=key[1],
            number=str(data.get("number") or ""),
            outcome=str(data.get("outcome") or ""),
            recording_url=data.get("recording_url") or None,
            requested_at=earlier.requested_at if earlier else event.created_at,
            calls=(earlier.calls if earlier else 0) + 1,
        )
    return sorted(found.values(), key=lambda p: (p.requested_at, p.ticket.id))


def pending(
    session: Session,
    audience: str,
    queue_ids: Sequence[str],
    visible: ColumnElement[bool] | None = None,
) -> list[PendingCallback]:
    """The call backs owed on a desk, in the queues ``queue_ids`` (the
    calls' queues), oldest first; ``visible`` limits them to tickets the
    viewer may see (``access.visible``)."""
    rows = _pending_requests(
        session, Ticket.audience == audience, visible if visible is not None else true()
    )
    wanted = set(queue_ids)
    return [p for p in _grouped(rows) if p.queue_id in wanted]


def pending_on(session: Session, ticket: Ticket) -> list[PendingCallback]:
    """The call backs owed on one ticket (for its page)."""
    return _grouped(_pending_requests(session, Ticket.id == ticket.id))


def mark_called_back(session: Session, ticket: Ticket, user: User, now: datetime) -> int:
    """The agent called the contact back: every call back owed on the
    ticket is done.  Returns how many requests that answered; refused when
    none is owed (a second click, or another agent was quicker)."""
    owed = _pending_requests(session, Ticket.id == ticket.id)
    if not owed:
        raise ValidationError("no call back is waiting on this ticket")
    numbers = sorted({str((e.data or {}).get("number") or "") for e, _t in owed} - {""})
    audit.record(
        session,
        ticket.id,
        audit.Actor.of(user),
        DONE,
        "called the contact back" + (f" ({', '.join(numbers)})" if numbers else ""),
        {
            "requests": [e.id for e, _t in owed],
            "queues": sorted({str((e.data or {}).get("queue") or "") for e, _t in owed} - {""}),
            "call_sids": [(e.data or {}).get("call_sid") for e, _t in owed],
        },
        at=now,
    )
    ticket.updated_at = now
    return len(owed)
