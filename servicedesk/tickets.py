"""What people do to tickets: reply, note, change status, assign, forward,
merge, link, log a call, retry a failed delivery.  Each change writes its
audit event in the same transaction; the caller commits and then runs
``after_commit``.  Merging and linking (relations between two tickets) live
in ``ticket_links`` and are re-exported here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, defer
from sqlalchemy.sql.base import ExecutableOption

from servicedesk import access, audit, auto_notices, deadlines, feedback, notify, outbox
from servicedesk.audit import Actor
from servicedesk.errors import ConflictError, NotFoundError, ValidationError
from servicedesk.lifecycle import ACTIVE, TicketStatus, check_move, status_after_agent_reply
from servicedesk.masking import mask_identity_codes
from servicedesk.models import (
    AuditEvent,
    CallRecord,
    Message,
    Organization,
    OutboxItem,
    OutboxStatus,
    Queue,
    Ticket,
    User,
)
from servicedesk.runtime import Runtime
from servicedesk.ticket_links import link as link
from servicedesk.ticket_links import merge as merge

PRIORITIES = ("low", "normal", "high")
MAX_BODY = 100_000


def get_visible(
    session: Session, number: str, user: User | None, *options: ExecutableOption
) -> Ticket:
    """Ticket ``number`` if ``user`` may see it; ``options`` load what the
    caller shows of it in the same statement."""
    ticket = session.execute(
        select(Ticket).where(Ticket.number == number).options(*options)
    ).scalar_one_or_none()
    if ticket is None or not access.can_see(user, ticket):
        raise NotFoundError(f"no ticket {number}")
    return ticket


def wrote_since(session: Session, ticket: Ticket, seen: int) -> bool:
    """Whether the ticket has a message from the contact newer than message
    ``seen`` (the newest one the person answering has read).  An answer,
    or a status that takes the ticket off the worklist, given without
    reading it would leave that message unanswered; the caller locks the
    ticket first, so a message being taken in is either found here or
    joins the ticket after the answer."""
    newer = session.execute(
        select(Message.id)
        .where(Message.ticket_id == ticket.id, Message.direction == "inbound", Message.id > seen)
        .limit(1)
    ).first()
    return newer is not None


def _actor(user: User | None) -> Actor:
    return Actor.of(user) if user is not None else Actor("api")


def change_status(
    session: Session,
    ticket: Ticket,
    target: str,
    user: User | None,
    reason: str,
    now: datetime,
    *,
    actor: Actor | None = None,
) -> None:
    """Move the ticket in its lifecycle.  ``actor`` names who did it when
    that is not a console user (the contact on the status page, a job)."""
    goal = check_move(ticket.status, target)
    if goal is TicketStatus.RESOLVED:
        # The "resolved" notice with the satisfaction survey link.
        feedback.on_resolved(session, None, ticket, now=now)
    audit.record(
        session,
        ticket.id,
        actor or _actor(user),
        "status_changed",
        reason,
        {"from": ticket.status, "to": goal.value},
        at=now,
    )
    ticket.status = goal.value
    ticket.updated_at = now
    if goal is TicketStatus.RESOLVED:
        ticket.resolved_at = now
    elif goal is TicketStatus.CLOSED:
        ticket.closed_at = now


def _check_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError("the message is empty", field="body")
    if len(body) > MAX_BODY:
        raise ValidationError(f"the message is longer than {MAX_BODY} characters", field="body")
    return body


def reply(
    session: Session,
    runtime: Runtime,
    ticket: Ticket,
    body: str,
    user: User | None,
    *,
    channel: str | None = None,
    attachment_ids: Sequence[int] = (),
) -> Message:
    """An answer to the contact; it waits for them afterwards."""
    if ticket.status == TicketStatus.CLOSED:
        raise ConflictError("the ticket is closed; open a new one to write again", field="status")
    body = _check_body(body)
    message = notify.queue_reply(
        session, runtime, ticket, body, author=user, channel=channel, attachment_ids=attachment_ids
    )
    now = runtime.now()
    audit.record(
        session,
        ticket.id,
        _actor(user),
        "replied",
        "",
        {"message_id": message.id, "channel": message.channel},
        at=now,
    )
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    target = status_after_agent_reply(ticket.status)
    if target is not None:
        audit.record(
            session,
            ticket.id,
            _actor(user),
            "status_changed",
            "answered; waiting for the contact",
            {"from": ticket.status, "to": target.value},
            at=now,
        )
        ticket.status = target.value
    ticket.updated_at = now
    return message


def add_note(
    session: Session, ticket: Ticket, body: str, user: User | None, now: datetime
) -> Message:
    body = _check_body(body)
    message = Message(
        ticket_id=ticket.id,
        direction="note",
        channel="web",
        author_user_id=user.id if user else None,
        sender=user.email if user else "api",
        sender_name=user.name if user else "API",
        body_text=body,
        is_public=False,
        created_at=now,
    )
    session.add(message)
    session.flush()
    audit.record(
        session, ticket.id, _actor(user), "note_added", "", {"message_id": message.id}, at=now
    )
    if ticket.status == TicketStatus.NEW:
        ticket.status = TicketStatus.OPEN
    ticket.updated_at = now
    return message


def assign(
    session: Session, ticket: Ticket, assignee: User | None, user: User | None, now: datetime
) -> None:
    if assignee is not None and not access.can_see(assignee, ticket):
        raise ValidationError(f"{assignee.name} cannot see this ticket", field="assignee")
    audit.record(
        session,
        ticket.id,
        _actor(user),
        "assigned",
        "taken" if assignee is not None and user is not None and assignee.id == user.id else "",
        {"from": ticket.assignee_id, "to": assignee.id if assignee else None},
        at=now,
    )
    ticket.assignee_id = assignee.id if assignee else None
    if ticket.status == TicketStatus.NEW and assignee is not None:
        ticket.status = TicketStatus.OPEN
    ticket.updated_at = now


def forward(
    session: Session, runtime: Runtime, ticket: Ticket, queue_id: str, note: str, user: User | None
) -> None:
    """Move the ticket to another organisation's queue with a note; the
    receiving experts are told; the audit trail says from where, to where, why."""
    queue = session.get(Queue, queue_id)
    if queue is None or not queue.active:
        raise ValidationError(f"no active queue {queue_id}", field="queue")
    if queue.audience != ticket.audience:
        raise ValidationError(
            f"queue {queue_id} is for {queue.audience} tickets, this is a {ticket.audience} ticket",
            field="queue",
        )
    if queue.id == ticket.queue_id:
        raise ValidationError("the ticket is already in that queue", field="queue")
    if user is not None and queue.id not in {q.id for q in forward_targets(session, user, ticket)}:
        raise ValidationError(
            f"you may forward only to your own organisation or back to a desk, not {queue_id}",
            field="queue",
        )
    now = runtime.now()
    audit.record(
        session,
        ticket.id,
        _actor(user),
        "forwarded",
        note.strip(),
        {
            "from_queue": ticket.queue_id,
            "from_organization": ticket.organization_id,
            "to_queue": queue.id,
            "to_organization": queue.organization_id,
        },
        at=now,
    )
    if note.strip():
        add_note(session, ticket, note, user, now)
    ticket.queue_id = queue.id
    ticket.organization_id = queue.organization_id
    ticket.assignee_id = None
    ticket.forwarded_at = now
    ticket.due_at = deadlines.response_due(session, queue.id, now)
    if ticket.status in {TicketStatus.NEW, TicketStatus.PENDING}:
        ticket.status = TicketStatus.OPEN
    ticket.updated_at = now
    session.flush()
    first = session.execute(
        select(Message)
        .where(Message.ticket_id == ticket.id, Message.direction == "inbound")
        .order_by(Message.id)
        .limit(1)
    ).scalar_one_or_none()
    told = mask_identity_codes(note.strip())[0]  # the note itself stays as written, staff only
    reasons = [f"forwarded by {user.name if user else 'the API'}" + (f": {told}" if told else "")]
    notify.notify_routed(session, runtime, ticket, first.body_text[:4000] if first else "", reasons)
    # Issue 7: an applicant is told when an institution now has the question.
    auto_notices.tell_forwarded(session, runtime, ticket)


# Where someone who may not forward anywhere (an expert, a super-user) can
# still send a ticket: their own organisation's queues, or back to a desk
# (tier 1 escalates to the national staff helpdesk, an institution hands a
# question that is not theirs back to the regional or national desk).
DESK_KINDS = ("national_desk", "regional_desk", "staff_helpdesk")


def forward_targets(session: Session, user: User | None, ticket: Ticket) -> list[Queue]:
    """The active queues ``user`` may forward ``ticket`` to, in directory order."""
    rows = session.execute(
        select(Queue, Organization)
        .join(Organization, Organization.id == Queue.organization_id)
        .options(
            contains_eager(Queue.organization),
            # Names are what the forward menu shows; not the routing data.
            defer(Queue.topics),
            defer(Queue.languages),
            defer(Organization.aliases),
            defer(Organization.staff_email_domains),
            defer(Organization.opening_hours),
        )
        .where(Queue.active, Organization.active, Queue.audience == ticket.audience)
        .order_by(Organization.position, Organization.id, Queue.position, Queue.id)
    ).all()
    anywhere = user is None or access.can_forward_anywhere(user)
    return [
        queue
        for queue, organization in rows
        if queue.id != ticket.queue_id
        and (
            anywhere
            or organization.kind in DESK_KINDS
            or (user is not None and organization.id == user.organization_id)
        )
    ]


def change_fields(
    session: Session,
    ticket: Ticket,
    user: User | None,
    now: datetime,
    *,
    priority: str | None = None,
    topic: str | None = None,
) -> None:
    from routing import TOPICS

    changes: dict[str, object] = {}
    if priority is not None and priority != ticket.priority:
        if priority not in PRIORITIES:
            raise ValidationError(
                f"priority must be one of {', '.join(PRIORITIES)}", field="priority"
            )
        changes["priority"] = {"from": ticket.priority, "to": priority}
        ticket.priority = priority
    if topic is not None and topic != ticket.topic:
        if topic not in TOPICS:
            raise ValidationError("unknown topic", field="topic")
        changes["topic"] = {"from": ticket.topic, "to": topic}
        ticket.topic = topic
    if changes:
        audit.record(session, ticket.id, _actor(user), "fields_changed", "", changes, at=now)
        ticket.updated_at = now


def log_call(
    session: Session,
    ticket: Ticket,
    user: User | None,
    now: datetime,
    *,
    direction: str,
    number: str,
    summary: str,
    duration_minutes: int | None = None,
) -> Message:
    """A phone call an agent made or took outside Twilio, written down by hand."""
    summary = _check_body(summary)
    if direction not in {"inbound", "outbound"}:
        raise ValidationError("direction must be inbound or outbound", field="direction")
    message = Message(
        ticket_id=ticket.id,
        direction=direction,
        channel="phone",
        author_user_id=user.id if user else None,
        sender=number if direction == "inbound" else "",
        recipient=number if direction == "outbound" else "",
        body_text=summary,
        # The agent's own notes of the call: for the staff, never shown to
        # the contact as if they had written it.
        is_public=False,
        created_at=now,
    )
    session.add(message)
    session.flush()
    session.add(
        CallRecord(
            call_sid=f"manual-{message.id}",
            ticket_id=ticket.id,
            message_id=message.id,
            from_number=number if direction == "inbound" else "",
            to_number=number if direction == "outbound" else "",
            audience=ticket.audience,
            outcome="answered",
            answered_by=user.name if user else None,
            duration_seconds=duration_minutes * 60 if duration_minutes else None,
            created_at=now,
        )
    )
    audit.record(
        session,
        ticket.id,
        _actor(user),
        "call_logged",
        "",
        {"message_id": message.id, "direction": direction},
        at=now,
    )
    if direction == "outbound" and ticket.first_response_at is None:
        ticket.first_response_at = now
    ticket.updated_at = now
    return message


def retry_delivery(
    session: Session, ticket: Ticket, message: Message, user: User | None, now: datetime
) -> list[int]:
    """Put the failed outbox rows of ``message`` back for sending (an agent's
    "try again"); returns their ids for ``outbox.dispatch`` after commit."""
    if message.ticket_id != ticket.id:
        raise NotFoundError("no such message on this ticket")
    failed = list(
        session.execute(
            select(OutboxItem.id).where(
                OutboxItem.message_id == message.id, OutboxItem.status == OutboxStatus.FAILED
            )
        ).scalars()
    )
    retried = [item_id for item_id in failed if outbox.retry(session, item_id, now)]
    if not retried:
        raise ConflictError("this message has no failed delivery to retry", field="message")
    audit.record(
        session,
        ticket.id,
        _actor(user),
        "delivery_retried",
        message.delivery_error or "",
        {"message_id": message.id, "outbox_ids": retried},
        at=now,
    )
    message.delivery_status = "pending"
    message.delivery_error = None
    ticket.updated_at = now
    return retried


def events(session: Session, ticket_id: int) -> list[AuditEvent]:
    return list(
        session.execute(
            select(AuditEvent).where(AuditEvent.ticket_id == ticket_id).order_by(AuditEvent.id)
        ).scalars()
    )


def is_active(ticket: Ticket) -> bool:
    return TicketStatus(ticket.status) in ACTIVE
